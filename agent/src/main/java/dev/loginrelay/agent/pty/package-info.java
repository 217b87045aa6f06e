/** The pure terminal scanner: raw PTY bytes in, ANSI-stripped text and login events (URL, code, prompts) out. */
package dev.loginrelay.agent.pty;

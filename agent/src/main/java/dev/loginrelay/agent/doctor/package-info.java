/** The agent's self-check: PTY, CLIs present, versions (run by golden-snapshot builds). */
package dev.loginrelay.agent.doctor;

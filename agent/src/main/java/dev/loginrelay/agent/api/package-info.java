/** The agent's HTTP API: routes, authentication and error replies; no PTY or process code here. */
package dev.loginrelay.agent.api;

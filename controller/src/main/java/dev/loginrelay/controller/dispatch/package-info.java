/** Dispatch to agents: the agent's HTTP API client, VM providers (local processes, static agents) and placement. */
package dev.loginrelay.controller.dispatch;

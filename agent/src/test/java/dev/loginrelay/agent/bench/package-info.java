/** The agent's benchmark program (time to auth URL against {@code script}; memory and threads per login). */
package dev.loginrelay.agent.bench;

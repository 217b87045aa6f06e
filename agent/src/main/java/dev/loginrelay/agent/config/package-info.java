/** The agent's configuration from flags and environment, defaults in one place. */
package dev.loginrelay.agent.config;

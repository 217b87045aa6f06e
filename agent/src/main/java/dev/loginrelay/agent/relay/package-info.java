/** Relays the OAuth callback from the user's browser to the CLI's loopback listener, strictly. */
package dev.loginrelay.agent.relay;

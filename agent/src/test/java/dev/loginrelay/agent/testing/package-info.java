/** Test fixtures shared by the agent's tests: fake OAuth issuers that real CLIs can log in against offline. */
package dev.loginrelay.agent.testing;

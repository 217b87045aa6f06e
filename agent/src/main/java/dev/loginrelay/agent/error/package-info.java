/** Leaf: the one exception the agent's layers throw and its error codes (each with its HTTP status). */
package dev.loginrelay.agent.error;

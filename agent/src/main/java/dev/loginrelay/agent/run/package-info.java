/** One login attempt's lifecycle (state, events, process) and the registry of runs. */
package dev.loginrelay.agent.run;

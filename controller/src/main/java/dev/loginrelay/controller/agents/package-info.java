/** The agents' JSON API as the controller speaks it: one shared client, typed views of runs and events. */
package dev.loginrelay.controller.agents;

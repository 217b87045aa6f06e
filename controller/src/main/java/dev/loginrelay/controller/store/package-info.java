/**
 * PostgreSQL access: the JDBC pool on its own worker threads, the auth session and timeline stores, and the agent slot
 * table behind {@code vm.AgentSlots}.
 */
package dev.loginrelay.controller.store;

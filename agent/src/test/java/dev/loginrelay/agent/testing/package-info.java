/**
 * Test support shared by the agent's and the controller's tests: waiting for conditions ({@code Poll}) and the
 * compatibility table's recorder. The fake network is in {@code testing.net}, the fake providers in
 * {@code testing.fakes}.
 */
package dev.loginrelay.agent.testing;

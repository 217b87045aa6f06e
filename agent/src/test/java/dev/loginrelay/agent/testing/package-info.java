/**
 * Test fixtures shared by the agent's and the controller's tests: fake OAuth issuers, a throwaway CA and an
 * intercepting proxy that real CLIs log in against offline ({@code FakeInternet}), the fake CLI specs, and the
 * compatibility table's recorder.
 */
package dev.loginrelay.agent.testing;

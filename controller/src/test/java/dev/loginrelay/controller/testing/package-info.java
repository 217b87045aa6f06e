/**
 * Test fixtures shared by the controller's tests: one PostgreSQL per JVM, a fresh schema per test class, and a whole
 * controller in-process ({@code ControllerFixture}) for the API and page tests.
 */
package dev.loginrelay.controller.testing;

/** Test fixtures shared by the controller's tests: one PostgreSQL per JVM, a fresh schema per test class. */
package dev.loginrelay.controller.testing;

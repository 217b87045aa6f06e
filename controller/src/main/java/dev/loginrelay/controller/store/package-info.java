/** PostgreSQL access: the JDBC pool on its own worker threads, and the auth session and timeline stores. */
package dev.loginrelay.controller.store;

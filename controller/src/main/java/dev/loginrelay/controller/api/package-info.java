/** The controller's public HTTP API: routes, error codes and error replies; no JDBC or WebClient here. */
package dev.loginrelay.controller.api;

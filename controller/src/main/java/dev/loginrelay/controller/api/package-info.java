/** The controller's public HTTP API and pages: routes, views, auth and error replies; no JDBC or WebClient here. */
package dev.loginrelay.controller.api;

/** Prometheus metrics of the controller (Micrometer). */
package dev.loginrelay.controller.metrics;

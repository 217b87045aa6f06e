/** The controller's benchmark program (scripts/bench-controller.sh); not a test. */
package dev.loginrelay.controller.bench;

/** The zero-configuration PostgreSQL: its binaries, its locked-down data dir, a crashed controller's leftover server. */
package dev.loginrelay.controller.embedded;

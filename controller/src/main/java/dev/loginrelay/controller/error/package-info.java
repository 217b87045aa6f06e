/** Leaf: the one exception the controller's layers throw and its error codes (each with its HTTP status). */
package dev.loginrelay.controller.error;

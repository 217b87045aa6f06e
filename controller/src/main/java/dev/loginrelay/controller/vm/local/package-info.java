/** Back-end {@code local}: one agent process per session on the controller's host. */
package dev.loginrelay.controller.vm.local;

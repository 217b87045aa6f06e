/** Auth sessions as values: the lifecycle enum, the session and timeline records, and their rules. */
package dev.loginrelay.controller.session;

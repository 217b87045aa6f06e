/** Puts sessions on agents from a VM pool and follows each run there (pulls the agent's events); implements session's Dispatcher and reports every observed move through SessionMoves, never the store. */
package dev.loginrelay.controller.dispatch;

/** The rules of auth sessions (SessionService), the one writer of status moves (SessionMoves), the timeout sweeper, and the Dispatcher port that dispatch/ implements. */
package dev.loginrelay.controller.session;

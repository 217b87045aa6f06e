/** Leaf records and enums of auth sessions: the session, its lifecycle, the user's step, events, failure codes. */
package dev.loginrelay.controller.model;

/** The fake providers behind the fake network (OAuth issuers, APIs the CLIs call), the fake CLI specs and browser. */
package dev.loginrelay.agent.testing.fakes;

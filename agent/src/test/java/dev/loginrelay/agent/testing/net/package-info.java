/**
 * The fake network real CLIs log in through offline: a throwaway CA made with openssl, an intercepting proxy, and
 * {@code FakeInternet}, which ties them to the fake providers. Nothing leaves 127.0.0.1.
 */
package dev.loginrelay.agent.testing.net;

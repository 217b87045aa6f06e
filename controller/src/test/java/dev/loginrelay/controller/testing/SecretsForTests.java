package dev.loginrelay.controller.testing;

/** Planted secrets of the simulated cluster: tests assert they reach no log line, event or API body. */
public final class SecretsForTests {
    /** The warm pool's bootstrap token, shared by every sandbox until it is claimed. */
    public static final String BOOTSTRAP = "bootstrap-token-PLANTED-0123456789abcdefghij";
    /** The controllers' key the claimed agents' own tokens are derived from. */
    public static final String TOKEN_KEY = "claim-token-key-PLANTED-0123456789abcdefghij";

    private SecretsForTests() {
    }
}

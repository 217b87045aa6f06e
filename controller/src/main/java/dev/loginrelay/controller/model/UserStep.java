package dev.loginrelay.controller.model;

import java.util.Objects;

/**
 * What the user must do next: open {@code authUrl} (or {@code verificationUrl} and enter {@code userCode}), then hand
 * back what {@code expects} says. The auth URL carries the OAuth {@code state}, so {@link #toString()} masks it and the
 * user code; show them to the session's owner only and never log them.
 */
public record UserStep(Expects expects, String authUrl, String verificationUrl, String userCode) {
    /** No step shown: the state of a new or finished session. */
    public static final UserStep NONE = new UserStep(Expects.NONE, null, null, null);

    private static final int MAX_URL = 4096;
    private static final int MAX_CODE = 64;

    public UserStep {
        Objects.requireNonNull(expects, "expects");
        checkLength("authUrl", authUrl, MAX_URL);
        checkLength("verificationUrl", verificationUrl, MAX_URL);
        checkLength("userCode", userCode, MAX_CODE);
        if (expects == Expects.CALLBACK_URL && authUrl == null) {
            throw new IllegalArgumentException("authUrl is required when expects=callback_url");
        }
    }

    private static void checkLength(String field, String value, int max) {
        if (value != null && (value.isBlank() || value.length() > max)) {
            throw new IllegalArgumentException(field + " must be 1.." + max + " characters, not blank");
        }
    }

    @Override
    public String toString() {
        return "UserStep[expects=" + expects.wireName()
            + ", authUrl=" + (authUrl == null ? "null" : "<masked>")
            + ", verificationUrl=" + (verificationUrl == null ? "null" : "<masked>")
            + ", userCode=" + (userCode == null ? "null" : "<masked>") + "]";
    }
}

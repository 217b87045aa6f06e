package dev.loginrelay.controller.model;

import java.util.Locale;

/** Where a credential record in custody stands; lower-case in JSON and in {@code credentials.state}. */
public enum CredentialState {
    /** Captured and encrypted in custody; installed nowhere. */
    HELD,
    /** Also written into one workspace's HOME ({@code credentials.workspace_id}). */
    INSTALLED,
    /** Removed from custody (the ciphertext is gone) and from the workspace; terminal. */
    REVOKED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CredentialState fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}

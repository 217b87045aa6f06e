package dev.loginrelay.controller.model;

import java.util.Locale;

/** What the user must hand back while a session is {@link SessionState#AWAITING_USER}. */
public enum Expects {
    /** The browser's redirect to the CLI's localhost callback, pasted or relayed. */
    CALLBACK_URL,
    /** A code shown by the provider's page, typed back into the CLI. */
    CODE,
    /** Nothing: the user approves on the provider's page (device flow) or no step is shown yet. */
    NONE;

    /** The lower-case name used in JSON and in {@code auth_sessions.expects}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the value when it is not one of the wire names */
    public static Expects fromWire(String wireName) {
        for (Expects e : values()) {
            if (e.wireName().equals(wireName)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown expects value '" + wireName + "'");
    }
}

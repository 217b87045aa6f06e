package dev.loginrelay.controller.model;

import java.util.Objects;
import java.util.UUID;

/**
 * Who is calling, as established by the bearer token: the product's backend (API key), an operator, or the browser
 * of one session (that session's token). {@link #mayAct(UUID)} is the one authorization rule of session endpoints.
 */
public record Caller(Kind kind, UUID sessionId) {
    /** The kinds of credentials. */
    public enum Kind {
        /** The product's backend: creates sessions, reads and cancels any. */
        API_KEY,
        /** Operators: read everything, cancel. */
        OPERATOR,
        /** A user's browser: only its own session. */
        SESSION
    }

    public Caller {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.SESSION) != (sessionId != null)) {
            throw new IllegalArgumentException("a session caller names exactly its session");
        }
    }

    public static Caller apiKey() {
        return new Caller(Kind.API_KEY, null);
    }

    public static Caller operator() {
        return new Caller(Kind.OPERATOR, null);
    }

    public static Caller session(UUID id) {
        return new Caller(Kind.SESSION, id);
    }

    /** True when this caller may read or act on {@code id}. */
    public boolean mayAct(UUID id) {
        return kind != Kind.SESSION || sessionId.equals(id);
    }
}

package dev.loginrelay.controller.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The lifecycle of an auth session (Flyway {@code MigrationState}). The wire name is the lower-case name used in JSON
 * and in the {@code auth_sessions.status} column, whose CHECK constraint lists the same values.
 *
 * <pre>
 * PENDING → STARTING → AWAITING_USER → VERIFYING → READY
 *                            ↑______________|   (a rejected code: the CLI shows a new URL and waits again)
 * any non-terminal state → FAILED | TIMEOUT | CANCELLED
 * </pre>
 * Terminal states are final.
 */
public enum SessionState {
    /** Created by the controller; no agent has been asked yet. */
    PENDING(false),
    /** Dispatched: an agent is starting the provider's CLI in a browser VM. */
    STARTING(false),
    /** The CLI showed what the user must do (open a URL, enter a code); waiting for the user. */
    AWAITING_USER(false),
    /** The user's callback or code was handed to the CLI; waiting for the CLI to confirm the login. */
    VERIFYING(false),
    /** The CLI is logged in to the user's account. Terminal. */
    READY(true),
    /** The login failed; {@code error_code} says why. Terminal. */
    FAILED(true),
    /** The deadline passed before the login finished (the timeout sweeper). Terminal. */
    TIMEOUT(true),
    /** The user or an operator gave up on the session. Terminal. */
    CANCELLED(true);

    private static final List<SessionState> ACTIVE =
        Arrays.stream(values()).filter(s -> !s.terminal).toList();

    private final boolean terminal;
    private final String wireName;

    SessionState(boolean terminal) {
        this.terminal = terminal;
        this.wireName = name().toLowerCase(Locale.ROOT);
    }

    /** True for READY, FAILED, TIMEOUT and CANCELLED: no move leaves them. */
    public boolean isTerminal() {
        return terminal;
    }

    /** Whether {@code this → next} is an edge of the lifecycle; a state never moves to itself. */
    public boolean canMoveTo(SessionState next) {
        Objects.requireNonNull(next, "next");
        if (terminal) {
            return false;
        }
        return switch (next) {
            case FAILED, TIMEOUT, CANCELLED -> true;
            case STARTING -> this == PENDING;
            case AWAITING_USER -> this == STARTING || this == VERIFYING;
            case VERIFYING -> this == AWAITING_USER;
            case READY -> this == VERIFYING;
            case PENDING -> false;
        };
    }

    /** The lower-case name used in JSON and in SQL, e.g. {@code awaiting_user}. */
    public String wireName() {
        return wireName;
    }

    /** The non-terminal states, in lifecycle order. */
    public static List<SessionState> active() {
        return ACTIVE;
    }

    /**
     * The state named by its wire name.
     *
     * @throws IllegalArgumentException naming the value when it is not a status
     */
    public static SessionState fromWire(String wireName) {
        if (wireName != null) {
            for (SessionState s : values()) {
                if (s.wireName.equals(wireName)) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown session status '" + wireName + "' (expected one of "
            + Arrays.stream(values()).map(SessionState::wireName).toList() + ")");
    }
}

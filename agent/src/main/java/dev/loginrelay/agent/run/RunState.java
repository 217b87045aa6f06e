package dev.loginrelay.agent.run;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The observed state of one login attempt on this agent. Terminal states are final; every move is declared here
 * and checked by {@link #canMoveTo} (Flyway {@code MigrationState}).
 */
public enum RunState {
    /** Waiting for a host-wide lock (another login holds codex's fixed port 1455 on this host). */
    QUEUED,
    /** The CLI is starting; no auth URL or device code yet. */
    STARTING,
    /** The user must act: open the URL and paste the callback URL or code, or enter the device code. */
    AWAITING_USER,
    /** The user's step went to the CLI; waiting for it to finish and for the credentials to be proven. */
    VERIFYING,
    /** Credentials were written by this login and the provider's verify step passed. Terminal. */
    READY,
    /** The CLI failed, or success could not be proven. Terminal. */
    FAILED,
    /** A phase deadline passed; the process tree was killed. Terminal. */
    TIMEOUT,
    /** Cancelled through the API; the process tree was killed. Terminal. */
    CANCELLED;

    private static final Set<RunState> TERMINAL = EnumSet.of(READY, FAILED, TIMEOUT, CANCELLED);

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }

    public boolean canMoveTo(RunState next) {
        if (isTerminal()) {
            return false;
        }
        return switch (next) {
            case QUEUED -> this == STARTING;
            case STARTING -> this == QUEUED;
            case AWAITING_USER -> this == STARTING || this == VERIFYING;
            case VERIFYING -> this == AWAITING_USER || this == STARTING;
            case READY -> this == VERIFYING;
            case FAILED, TIMEOUT, CANCELLED -> true;
        };
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state of a wire name ({@code awaiting_user}); fails naming the unknown value. */
    public static RunState fromWire(String wire) {
        for (RunState s : values()) {
            if (s.wireName().equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown run state '" + wire + "'");
    }
}

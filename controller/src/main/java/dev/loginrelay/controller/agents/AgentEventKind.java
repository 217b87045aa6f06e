package dev.loginrelay.controller.agents;

import java.util.Locale;
import java.util.Optional;

/**
 * The kinds of event an agent's timeline has ({@code kind} in its events API). The controller acts on a few (a new
 * user step) and stores all of them in the session's timeline as {@code agent.<kind>}. The agent's own enum has the
 * same names; a contract test holds the two together.
 */
public enum AgentEventKind {
    STARTED, QUEUED, DEQUEUED, CLI_STARTED,
    /** A new auth URL for the user: the session's user step changes. */
    AUTH_URL_READY,
    /** A device code for the user: the session's user step changes. */
    DEVICE_CODE_READY,
    AWAITING_INPUT,
    /** The session took a login the agent had started ahead of it; the events before it are from before the click. */
    ADOPTED,
    PROMPT_ANSWERED, CLI_REPORTED_SUCCESS, ATTEMPT_FAILED, CLI_EXITED, VERIFYING, VERIFY_PENDING,
    CALLBACK_RECEIVED, CALLBACK_RELAYED, CODE_SUBMITTED,
    /** The agent refused a callback or code before it reached the CLI; detail: reason (its error code), message. */
    CALLBACK_REFUSED, CODE_REFUSED,
    /** The CLI's listener refused the relayed callback; the run waits for the user again; detail: reason, message. */
    CALLBACK_REJECTED,
    READY, FAILED, TIMEOUT, CANCELLED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Empty for a kind this controller does not know (a newer agent's): it is still kept in the timeline. */
    public static Optional<AgentEventKind> fromWire(String wire) {
        for (AgentEventKind k : values()) {
            if (k.wireName().equals(wire)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}

package dev.loginrelay.controller.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One row of the append-only {@code auth_session_events} timeline (Nomad {@code TaskEvent}). {@code seq} runs 1..n per
 * session without gaps; status changes carry {@code from}/{@code to}; agent reports carry the agent's own {@code
 * agentSeq}. {@code detail} is redacted before it is written.
 *
 * @param from     status before the event, or null when the event did not change the status
 * @param to       status after the event, or null when the event did not change the status
 * @param agentSeq the agent's event counter, or null for events the controller made
 */
public record SessionEvent(
    UUID sessionId, long seq, Instant at, String kind, SessionState from, SessionState to, Long agentSeq,
    JsonObject detail) {

    /** The session row was inserted (to = PENDING). */
    public static final String KIND_CREATED = "created";
    /** A compare-and-set transition. */
    public static final String KIND_STATUS = "status";
    /** The timeout sweeper moved the session to TIMEOUT after its deadline. */
    public static final String KIND_TIMEOUT = "timeout";
    /** The user step (URL, code) changed while the session awaits the user. */
    public static final String KIND_USER_STEP = "user_step";

    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_.]{0,63}");

    public SessionEvent {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(at, "at");
        requireKind(kind);
        if (seq < 1) {
            throw new IllegalArgumentException("seq must be >= 1, not " + seq);
        }
        if (agentSeq != null && agentSeq < 1) {
            throw new IllegalArgumentException("agentSeq must be >= 1, not " + agentSeq);
        }
        detail = detail == null ? new JsonObject() : detail.copy();
    }

    /** A copy, so the record stays immutable. */
    @Override
    public JsonObject detail() {
        return detail.copy();
    }

    /**
     * Checks an event kind: lower-case letters, digits, {@code _} and {@code .}, at most 64 characters (the column's
     * CHECK constraint).
     *
     * @throws IllegalArgumentException naming the kind when it does not fit
     */
    public static String requireKind(String kind) {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("kind must match " + KIND.pattern() + ", not '" + kind + "'");
        }
        return kind;
    }
}

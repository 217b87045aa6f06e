package dev.loginrelay.controller.error;

/**
 * Every error the controller's API can answer, with its HTTP status (Flyway {@code CoreErrorCode}). The name is the
 * {@code error.code} of the JSON error body.
 */
public enum ErrorCode {
    BAD_REQUEST(400),
    MALFORMED_JSON(400),
    INVALID_INPUT(400),
    PROVIDER_UNKNOWN(400),
    /** The agent refused the request as invalid (its 400: a callback with the wrong state, a malformed code...). */
    AGENT_REJECTED(400),
    /** The callback's state is not this login's (or is repeated): from another sign-in attempt, or forged. */
    STATE_MISMATCH(400),
    /** The callback URL is not the loopback address this login's CLI listens on, or is malformed. */
    INVALID_CALLBACK(400),
    /** The code does not have the provider's format (or carries another login's state). */
    INVALID_CODE(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    /** A workspace that is not the caller's user's: credentials never go into another user's VM. */
    WORKSPACE_NOT_YOURS(403),
    SESSION_NOT_FOUND(404),
    /** No credentials in custody for this user and provider (never captured, or revoked). */
    CREDENTIALS_NOT_FOUND(404),
    /** No workspace with that id is configured ({@code LOGINRELAY_WORKSPACES}). */
    WORKSPACE_NOT_FOUND(404),
    /** The agent has no run for the session (its 404), e.g. the agent was restarted and lost the login. */
    AGENT_RUN_NOT_FOUND(404),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    /** A unique rule refused the write: a second active session, a reused idempotency key (SQLSTATE 23505). */
    CONFLICT(409),
    /** The session was not in the state the move starts from (a lost compare-and-set race, or an illegal edge). */
    ILLEGAL_TRANSITION(409),
    SESSION_ACTIVE(409),
    /** The agent's run is not in a state that allows the call (its 409: finished, callback already relayed...). */
    AGENT_CONFLICT(409),
    /** This login's single-use callback was already relayed. */
    CALLBACK_ALREADY_RELAYED(409),
    /** The CLI does not wait for a code now. */
    NOT_AWAITING_CODE(409),
    PAYLOAD_TOO_LARGE(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    PROVIDER_UNAVAILABLE(422),
    /** A client sent more requests than an endpoint's rate limit allows; {@code Retry-After} says when to retry. */
    TOO_MANY_REQUESTS(429),
    /** The agent already runs as many logins as it may (its 429); a later retry or another agent may take it. */
    AGENT_BUSY(429),
    /** More sessions wait to start than the controller takes ({@code LOGINRELAY_MAX_PENDING}); retry later. */
    TOO_MANY_PENDING(429),
    INTERNAL(500),
    /** The master key a record was sealed with is not configured here, or is not that key: nothing is decrypted. */
    MASTER_KEY_UNAVAILABLE(500),
    /** Sealed export needs {@code LOGINRELAY_EXPORT_RECIPIENT} (the product's public key). */
    EXPORT_NOT_CONFIGURED(503),
    /** The agent could not be connected to, or dropped the connection. */
    AGENT_UNREACHABLE(502),
    /** The agent answered with an error the caller cannot fix (401, 405, 415, 5xx, a body that is not JSON). */
    AGENT_ERROR(502),
    /** The database could not be reached or gave no connection in time. */
    UNAVAILABLE(503),
    /** The database aborted the transaction (serialization failure, deadlock); repeating the request is safe. */
    RETRY_LATER(503),
    /** No agent could be had for a session: none started in time, or none of the configured ones answers. */
    AGENT_UNAVAILABLE(503),
    /** The agent did not answer within the call's deadline. */
    AGENT_TIMEOUT(504);

    /** The agent's reasons for refusing a callback or code that the API answers with as they are. */
    public static final java.util.Set<ErrorCode> USER_STEP_REFUSALS = java.util.Collections.unmodifiableSet(
        java.util.EnumSet.of(STATE_MISMATCH, INVALID_CALLBACK, INVALID_CODE, CALLBACK_ALREADY_RELAYED,
            NOT_AWAITING_CODE));

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}

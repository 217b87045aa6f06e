package dev.loginrelay.controller.api;

/**
 * Every error the controller's API can answer, with its HTTP status (Flyway {@code CoreErrorCode}). The name is the
 * {@code error.code} of the JSON error body.
 */
public enum ErrorCode {
    BAD_REQUEST(400),
    PROVIDER_UNKNOWN(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    SESSION_NOT_FOUND(404),
    /** A unique rule refused the write: a second active session, a reused idempotency key (SQLSTATE 23505). */
    CONFLICT(409),
    /** The session was not in the state the move starts from (a lost compare-and-set race, or an illegal edge). */
    ILLEGAL_TRANSITION(409),
    PAYLOAD_TOO_LARGE(413),
    INTERNAL(500),
    AGENT_UNREACHABLE(502),
    /** The database could not be reached or gave no connection in time. */
    UNAVAILABLE(503),
    /** The database aborted the transaction (serialization failure, deadlock); repeating the request is safe. */
    RETRY_LATER(503),
    AGENT_TIMEOUT(504);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}

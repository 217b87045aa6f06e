package dev.loginrelay.agent.error;

/** Every error the agent's API can answer, with its HTTP status (Flyway {@code CoreErrorCode}). */
public enum ErrorCode {
    BAD_REQUEST(400),
    MALFORMED_JSON(400),
    UNKNOWN_PROVIDER(400),
    PROVIDER_UNSUPPORTED(422),
    INVALID_CALLBACK(400),
    STATE_MISMATCH(400),
    INVALID_CODE(400),
    UNAUTHORIZED(401),
    RUN_NOT_FOUND(404),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    RUN_EXISTS(409),
    ILLEGAL_STATE(409),
    CALLBACK_ALREADY_RELAYED(409),
    NOT_AWAITING_CODE(409),
    PAYLOAD_TOO_LARGE(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    TOO_MANY_RUNS(429),
    CLI_UNREACHABLE(502),
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}

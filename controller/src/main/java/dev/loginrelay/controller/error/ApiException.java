package dev.loginrelay.controller.error;

import java.util.Objects;

/**
 * The one exception the controller's services and stores throw; the router's failure handler turns it into its
 * HTTP status and {@code {"error":{"code":...,"message":...}}}. Messages carry ids and counts, never secrets.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public ApiException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ApiException(ErrorCode code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return "ApiException[" + code + "]: " + getMessage();
    }
}

package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Turns what came back from an agent call into the call's result: a 2xx JSON object, or an {@link ApiException}.
 * An agent 4xx keeps its status ({@code AGENT_REJECTED} 400, {@code AGENT_RUN_NOT_FOUND} 404, {@code AGENT_CONFLICT}
 * 409, ...) and its message, prefixed with the agent's own code ({@code "STATE_MISMATCH: ..."}), with an
 * {@link AgentError} as the cause. What the caller cannot fix (401: the controller's token is wrong, 405, 415, 5xx)
 * is {@code AGENT_ERROR} (502); no answer is {@code AGENT_UNREACHABLE} or {@code AGENT_TIMEOUT}.
 * Messages name the agent, the call's path (never its query) and the elapsed time; never a body sent.
 */
final class AgentReplies {
    private AgentReplies() {
    }

    /** A call described for messages, e.g. {@code "POST /api/v1/runs/abc/callback"} (no query). */
    record Call(AgentHandle agent, String method, String path, long deadlineMs, long startNanos) {
        long elapsedMs() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }

        String where() {
            return "agent " + agent.agentId() + " (" + agent.baseUrl() + ")";
        }
    }

    static Future<JsonObject> of(Call call, AsyncResult<HttpResponse<Buffer>> ar) {
        if (ar.failed()) {
            return Future.failedFuture(noAnswer(call, ar.cause()));
        }
        HttpResponse<Buffer> r = ar.result();
        int status = r.statusCode();
        JsonObject json = parse(r.body());
        if (status >= 200 && status < 300) {
            return json != null ? Future.succeededFuture(json) : Future.failedFuture(new ApiException(
                ErrorCode.AGENT_ERROR, call.where() + " answered " + status + " to " + call.method() + " "
                    + call.path() + " with a body that is not a JSON object"));
        }
        return Future.failedFuture(refusal(call, status, json));
    }

    static ApiException noAnswer(Call call, Throwable e) {
        if (e instanceof TimeoutException) {
            return new ApiException(ErrorCode.AGENT_TIMEOUT, call.where() + " did not answer " + call.method() + " "
                + call.path() + " within " + call.deadlineMs() + " ms", e);
        }
        String why = e instanceof ConnectException ? "cannot connect" : "connection failed";
        return new ApiException(ErrorCode.AGENT_UNREACHABLE, call.where() + " unreachable: " + why + " after "
            + call.elapsedMs() + " ms (" + call.method() + " " + call.path() + "): " + e.getMessage(), e);
    }

    private static ApiException refusal(Call call, int status, JsonObject json) {
        JsonObject err = json == null ? null : json.getValue("error") instanceof JsonObject o ? o : null;
        String agentCode = err != null && err.getValue("code") instanceof String s ? s : "HTTP_" + status;
        String message = err != null && err.getValue("message") instanceof String s ? s
            : "the agent answered " + status + " without an error body";
        ErrorCode code = codeFor(status, agentCode);
        AgentError cause = new AgentError(call.agent().agentId(), status, agentCode, message);
        if (code == ErrorCode.AGENT_ERROR) {
            return new ApiException(code, call.where() + " answered " + status + " to " + call.method() + " "
                + call.path() + ": " + agentCode + ": " + message, cause);
        }
        return new ApiException(code, agentCode + ": " + message, cause);
    }

    static ErrorCode codeFor(int status, String agentCode) {
        if (agentCode.equals("UNKNOWN_PROVIDER")) {
            return ErrorCode.PROVIDER_UNKNOWN;
        }
        // Why the agent refused the user's step, kept as the API's own code (the page tells the user what to fix).
        for (ErrorCode c : ErrorCode.USER_STEP_REFUSALS) {
            if (c.name().equals(agentCode) && c.httpStatus() == status) {
                return c;
            }
        }
        return switch (status) {
            case 400 -> ErrorCode.AGENT_REJECTED;
            case 404 -> agentCode.equals("RUN_NOT_FOUND") ? ErrorCode.AGENT_RUN_NOT_FOUND : ErrorCode.AGENT_ERROR;
            case 409 -> ErrorCode.AGENT_CONFLICT;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 422 -> ErrorCode.PROVIDER_UNAVAILABLE;
            case 429 -> ErrorCode.AGENT_BUSY;
            default -> ErrorCode.AGENT_ERROR;
        };
    }

    private static JsonObject parse(Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        try {
            return body.toJsonValue() instanceof JsonObject o ? o : null;
        } catch (DecodeException e) {
            return null;
        }
    }
}

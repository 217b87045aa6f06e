package dev.loginrelay.controller.api;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.QueuePlace;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import io.vertx.core.json.JsonObject;

/** The JSON views of a session: public (the page) and operator (plus placement). No secret fields. */
public final class SessionViews {
    private SessionViews() {
    }

    public static JsonObject of(AuthSession s) {
        return of(s, java.util.Optional.empty());
    }

    /** With where it waits to start, when it is {@code pending} behind others: {@code queue {position, estimateSeconds}}. */
    public static JsonObject of(AuthSession s, java.util.Optional<QueuePlace> queue) {
        JsonObject v = new JsonObject().put("id", s.sessionId().toString()).put("status", s.status().wireName())
            .put("provider", s.provider()).put("userId", s.owner()).put("terminal", s.status().isTerminal())
            .put("expects", s.status() == SessionState.AWAITING_USER ? s.userStep().expects().wireName() : "none");
        UserStep step = s.userStep();
        if (s.status() == SessionState.AWAITING_USER) {
            v.put("authUrl", step.authUrl()).put("verificationUrl", step.verificationUrl())
                .put("userCode", step.userCode());
        }
        if (s.errorCode() != null) {
            v.put("error", new JsonObject().put("code", s.errorCode()).put("message", s.errorMessage()));
        }
        if (s.account() != null) {
            v.put("account", s.account());
        }
        queue.ifPresent(q -> v.put("queue", new JsonObject().put("position", q.position())
            .put("estimateSeconds", q.estimate() == null ? null : Math.max(1, q.estimate().toSeconds()))));
        return v.put("createdAt", s.createdAt().toString()).put("updatedAt", s.updatedAt().toString())
            .put("deadlineAt", s.deadlineAt().toString())
            .put("finishedAt", s.finishedAt() == null ? null : s.finishedAt().toString())
            .put("version", s.version());
    }

    /** What operators see besides: where it ran and how far the timeline goes. */
    public static JsonObject operator(AuthSession s) {
        return operator(s, java.util.Optional.empty());
    }

    public static JsonObject operator(AuthSession s, java.util.Optional<QueuePlace> queue) {
        return of(s, queue).put("agentId", s.agentId()).put("browserVmId", s.browserVmId()).put("vmIp", s.vmIp())
            .put("lastEventSeq", s.lastEventSeq()).put("lastAgentSeq", s.lastAgentSeq());
    }
}

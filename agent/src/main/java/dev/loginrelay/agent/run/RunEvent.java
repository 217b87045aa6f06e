package dev.loginrelay.agent.run;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Objects;

/**
 * One numbered step of a run's timeline. {@code detail} holds only non-secret, already redacted values: never an
 * OAuth code, a token or a PKCE verifier.
 */
public record RunEvent(long seq, Instant at, EventKind kind, RunState state, JsonObject detail) {
    public RunEvent {
        if (seq < 1) {
            throw new IllegalArgumentException("seq cannot be less than 1");
        }
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        detail = detail == null ? new JsonObject() : detail.copy();
    }

    public JsonObject toJson() {
        return new JsonObject().put("seq", seq).put("at", at.toString()).put("kind", kind.wireName())
            .put("state", state.wireName()).put("detail", detail.copy());
    }
}

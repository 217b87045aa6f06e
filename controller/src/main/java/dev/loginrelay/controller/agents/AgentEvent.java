package dev.loginrelay.controller.agents;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One event of a run's timeline as the agent's API sends it: {@code {seq, at, kind, state, detail}}. {@code detail}
 * is already redacted by the agent except the auth URL and the device code, which the user needs.
 */
public record AgentEvent(long seq, String at, String kind, AgentRunState state, JsonObject detail) {
    public AgentEvent {
        if (seq < 1) {
            throw new IllegalArgumentException("agent event seq cannot be less than 1, not " + seq);
        }
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        detail = detail == null ? new JsonObject() : detail.copy();
    }

    /** Fails with IllegalArgumentException naming the field when the JSON is not an agent event. */
    public static AgentEvent fromJson(JsonObject e) {
        Long seq = e.getLong("seq");
        if (seq == null) {
            throw new IllegalArgumentException("agent event without seq: fields " + e.fieldNames());
        }
        return new AgentEvent(seq, e.getString("at"), e.getString("kind"), AgentRunState.fromWire(e.getString("state")),
            e.getJsonObject("detail"));
    }

    public Optional<AgentEventKind> knownKind() {
        return AgentEventKind.fromWire(kind);
    }

    /** A page of the events API: {@code {events:[...], state, terminal, lastSeq}}. */
    public record Page(List<AgentEvent> events, AgentRunState state, boolean terminal, long lastSeq) {
        public Page {
            events = List.copyOf(events);
        }

        public static Page fromJson(JsonObject page) {
            List<AgentEvent> events = new ArrayList<>();
            for (Object o : page.getJsonArray("events", new JsonArray())) {
                events.add(AgentEvent.fromJson((JsonObject) o));
            }
            return new Page(events, AgentRunState.fromWire(page.getString("state")), page.getBoolean("terminal", false),
                page.getLong("lastSeq", 0L));
        }
    }
}

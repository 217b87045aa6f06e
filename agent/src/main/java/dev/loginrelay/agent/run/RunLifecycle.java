package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.support.Redact;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Set;

/**
 * A run's state, its timeline and its phase timer: each state change is checked against {@link RunState} and recorded
 * as an event (and in the diagnostics log) in the order it happened; a terminal state stops the CLI once. Runs on
 * the run's Vert.x context, like {@link LoginRun}, which owns it.
 */
final class RunLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RunLifecycle.class);

    private final String id;
    private final ProviderSpec spec;
    private final RunDeps deps;
    private final Set<String> secrets;
    private final Runnable onTerminal;
    private final EventLog events;
    private final Instant createdAt = Instant.now();
    private RunState state = RunState.STARTING;
    private Instant updatedAt = createdAt;
    private String errorCode;
    private String errorMessage;
    private long phaseTimer = -1;

    /**
     * @param secrets    values redacted from error messages (shared with the run, which adds to it)
     * @param onTerminal called once, when the run reaches a terminal state: stops the CLI
     */
    RunLifecycle(String id, ProviderSpec spec, RunDeps deps, Set<String> secrets, Runnable onTerminal) {
        this.id = id;
        this.spec = spec;
        this.deps = deps;
        this.secrets = secrets;
        this.onTerminal = onTerminal;
        this.events = new EventLog(deps.vertx());
    }

    RunState state() {
        return state;
    }

    Instant updatedAt() {
        return updatedAt;
    }

    EventLog events() {
        return events;
    }

    /** Times out the run unless something re-arms the timer within {@code seconds}: one timer per phase. */
    void armTimer(String phase, int seconds, String waitingFor) {
        deps.vertx().cancelTimer(phaseTimer);
        phaseTimer = deps.vertx().setTimer(seconds * 1000L, t -> {
            if (!state.isTerminal()) {
                finish(RunState.TIMEOUT, EventKind.TIMEOUT, new JsonObject().put("phase", phase)
                    .put("afterSeconds", seconds).put("waitingFor", waitingFor));
            }
        });
    }

    /** Ends the run as failed with one of the agent's own codes. */
    void fail(RunFailure code, String message) {
        fail(code.name(), message);
    }

    /** Ends the run as failed with {@code code}; the message is redacted of every secret seen. No-op once ended. */
    void fail(String code, String message) {
        if (state.isTerminal()) {
            return;
        }
        errorCode = code;
        errorMessage = Redact.text(message, secrets);
        finish(RunState.FAILED, EventKind.FAILED, new JsonObject().put("code", code).put("message", errorMessage));
    }

    void finish(RunState terminal, EventKind kind, JsonObject detail) {
        if (terminal == RunState.TIMEOUT) {
            errorCode = RunFailure.TIMEOUT.name();
            errorMessage = "timed out after " + detail.getInteger("afterSeconds") + " s waiting for "
                + detail.getString("waitingFor");
        }
        if (move(terminal, kind, detail)) {
            deps.vertx().cancelTimer(phaseTimer);
            onTerminal.run();
        }
    }

    /** Moves to {@code next} and records {@code kind} when the move is allowed; false (nothing recorded) if not. */
    boolean move(RunState next, EventKind kind, JsonObject detail) {
        if (!state.canMoveTo(next)) {
            return false;
        }
        RunState from = state;
        state = next;
        record(kind, detail.put("from", from.wireName()));
        log.info("run={} provider={} {} -> {} ({})", id, spec.name(), from.wireName(), next.wireName(),
            kind.wireName());
        return true;
    }

    void record(EventKind kind, JsonObject detail) {
        updatedAt = Instant.now();
        RunEvent e = events.append(kind, state, detail);
        deps.diagnostics().write(id, e);
    }

    /** Adds the state, error and times to the run's view. */
    JsonObject view(JsonObject v) {
        v.put("state", state.wireName()).put("terminal", state.isTerminal())
            .put("createdAt", createdAt.toString()).put("updatedAt", updatedAt.toString())
            .put("lastSeq", events.lastSeq());
        if (errorCode != null) {
            v.put("error", new JsonObject().put("code", errorCode).put("message", errorMessage));
        }
        return v;
    }
}

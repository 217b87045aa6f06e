package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentEvent;
import dev.loginrelay.controller.agents.AgentEventKind;
import dev.loginrelay.controller.agents.AgentEvents;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.FailureCode;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.session.SessionMoves;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Follows one session's run on its agent: long-polls the agent's events from the last stored sequence number, stores
 * each once (idempotent by agent seq, so a restarted controller resumes without loss or duplicates), and moves the
 * session as the agent's observed state moves. An agent that stops answering for {@code lostAfter} fails the
 * session with a clear reason. Ends when the session is terminal, then hands the agent back.
 */
final class AgentWatcher {
    private static final Logger log = LoggerFactory.getLogger(AgentWatcher.class);
    private static final long WAIT_MS = 2000;
    private static final long RETRY_MS = 300;

    private final Vertx vertx;
    private final AgentClient client;
    private final SessionMoves moves;
    private final AgentHandle agent;
    private final UUID id;
    private final Duration lostAfter;
    private final Consumer<AuthSession> onEnd;
    /** Told once when the session no longer needs its start slot (see {@link Admission}). */
    private Consumer<UUID> onStarted;
    private AuthSession session;
    private long lastOk = System.nanoTime();
    private boolean stopped;
    private long drainUntil;
    private static final long DRAIN_NANOS = 10_000_000_000L;

    AgentWatcher(Vertx vertx, AgentClient client, SessionMoves moves, AgentHandle agent, AuthSession session,
                 Duration lostAfter, Consumer<UUID> onStarted, Consumer<AuthSession> onEnd) {
        this.vertx = vertx;
        this.client = client;
        this.moves = moves;
        this.agent = agent;
        this.id = session.sessionId();
        this.session = session;
        this.lostAfter = lostAfter;
        this.onEnd = onEnd;
        this.onStarted = onStarted;
    }

    void start() {
        poll();
    }

    /** The session ended here (cancel, timeout): cancel the run on the agent now, and keep reading how it ended. */
    void endedHere() {
        if (!stopped) {
            stopRunOnAgent();
        }
    }

    void stop() {
        stopped = true;
    }

    private void poll() {
        if (stopped) {
            return;
        }
        boolean[] runEnded = new boolean[1];
        client.events(agent, id.toString(), session.lastAgentSeq(), WAIT_MS)
            .map(AgentEvent.Page::fromJson)
            .compose(page -> {
                lastOk = System.nanoTime();
                runEnded[0] = page.terminal() && page.events().isEmpty();
                return apply(page.events(), 0);
            })
            .compose(v -> moves.find(id).map(s -> s.orElse(session)))
            .onSuccess(s -> {
                session = s;
                if (!s.status().isTerminal()) {
                    poll();
                } else if (runEnded[0] || drainedEnough()) {
                    end();
                } else {
                    stopRunOnAgent(); // ended here (cancel, timeout): stop the run and record how it ended there
                    poll();
                }
            })
            .onFailure(this::onError);
    }

    /**
     * The session ended here while the run still goes on: ask the agent to cancel it, once, and keep reading its
     * events for a few seconds, so the timeline shows how the run ended before the agent is handed back.
     */
    private void stopRunOnAgent() {
        if (drainUntil == 0) {
            drainUntil = System.nanoTime() + DRAIN_NANOS;
            client.cancel(agent, id.toString())
                .onFailure(e -> log.debug("session={} cancel on agent: {}", id, e.getMessage()));
        }
    }

    private boolean drainedEnough() {
        return drainUntil != 0 && System.nanoTime() > drainUntil;
    }

    private void onError(Throwable e) {
        if (stopped) {
            return;
        }
        long silentMs = (System.nanoTime() - lastOk) / 1_000_000;
        boolean agentProblem = e instanceof ApiException a
            && (a.code() == ErrorCode.AGENT_UNREACHABLE || a.code() == ErrorCode.AGENT_TIMEOUT);
        if (agentProblem && silentMs >= lostAfter.toMillis()) {
            String msg = "agent " + agent.agentId() + " stopped answering " + silentMs + " ms ago (" + e.getMessage()
                + ")";
            fail(FailureCode.AGENT_LOST, msg).onComplete(ar -> end());
            return;
        }
        log.debug("session={} agent={} poll failed ({} ms silent): {}", id, agent.agentId(), silentMs, e.getMessage());
        vertx.setTimer(RETRY_MS, t -> moves.find(id).onComplete(ar -> {
            if (ar.succeeded() && ar.result().isPresent()) {
                session = ar.result().get();
            }
            if (session.status().isTerminal()) {
                end();
            } else {
                poll();
            }
        }));
    }

    private Future<Void> apply(List<AgentEvent> events, int i) {
        if (i >= events.size()) {
            return Future.succeededFuture();
        }
        AgentEvent e = events.get(i);
        long seq = e.seq();
        return moves.recordAgentEvent(id, seq, "agent." + e.kind(), AgentEvents.timelineDetail(e))
            .compose(isNew -> move(e))
            .compose(v -> {
                session = withSeq(session, seq);
                if (e.knownKind().orElse(null) == AgentEventKind.QUEUED || session.status() != SessionState.STARTING) {
                    started(); // waits for a host lock, shows the user their step, or ended: the slot is free
                }
                return apply(events, i + 1);
            });
    }

    /** Moves the session to where the agent's event says the run is, when that is a legal edge from here. */
    private Future<Void> move(AgentEvent e) {
        SessionState target = e.state().sessionState();
        UserStep step = AgentEvents.userStepOf(e);
        SessionState now = session.status();
        if (now.isTerminal()) {
            return Future.succeededFuture();
        }
        if (target == now) {
            if (step == null || now != SessionState.AWAITING_USER) {
                return Future.succeededFuture();
            }
            return moves.updateUserStep(id, step).map(s -> keep(s));
        }
        if (!now.canMoveTo(target)) {
            return Future.succeededFuture(); // e.g. starting -> verifying: the agent skipped a step the row does not need
        }
        SessionChange change = changeFor(target, e, step);
        return moves.move(id, now, target, change)
            .map(this::keep)
            .recover(err -> SessionMoves.isLostRace(err)
                ? moves.find(id).map(s -> keep(s.orElse(session))) // lost a race (timeout, cancel): re-read
                : Future.failedFuture(err));
    }

    private static SessionChange changeFor(SessionState target, AgentEvent e, UserStep step) {
        JsonObject d = e.detail();
        SessionChange c = SessionChange.none().withDetail(new JsonObject().put("by", "agent")
            .put("agentEvent", e.kind()).put("agentSeq", e.seq()));
        if (step != null) {
            c = c.withUserStep(step);
        }
        return switch (target) {
            case READY -> c.withAccount(d.getJsonObject("account", new JsonObject()));
            case FAILED -> c.withError(d.getString("code", FailureCode.FAILED.name()),
                d.getString("message", "the login failed"));
            case TIMEOUT -> c.withError(FailureCode.TIMEOUT.name(), "the agent timed out in phase "
                + d.getString("phase", "?") + " waiting for " + d.getString("waitingFor", "?"));
            case CANCELLED -> c.withError(FailureCode.CANCELLED.name(),
                d.getString("reason", "cancelled on the agent"));
            default -> c;
        };
    }

    private Void keep(AuthSession s) {
        session = s.lastAgentSeq() >= session.lastAgentSeq() ? s : withSeq(s, session.lastAgentSeq());
        return null;
    }

    private static AuthSession withSeq(AuthSession s, long seq) {
        if (s.lastAgentSeq() >= seq) {
            return s;
        }
        return new AuthSession(s.sessionId(), s.owner(), s.provider(), s.status(), s.userStep(), s.agentId(),
            s.browserVmId(), s.vmIp(), s.errorCode(), s.errorMessage(), s.account(), s.idempotencyKey(),
            s.createdAt(), s.updatedAt(), s.deadlineAt(), s.finishedAt(), s.version(), seq, s.lastEventSeq());
    }

    private Future<Void> fail(FailureCode code, String message) {
        if (session.status().isTerminal()) {
            return Future.succeededFuture();
        }
        return moves.fail(id, code, message, new JsonObject().put("by", "controller").put("agentId", agent.agentId()))
            .map(s -> {
                s.ifPresent(x -> session = x);
                return (Void) null;
            })
            .recover(err -> Future.succeededFuture());
    }

    private void started() {
        if (onStarted != null) {
            Consumer<UUID> once = onStarted;
            onStarted = null;
            once.accept(id);
        }
    }

    private void end() {
        started();
        if (!stopped) {
            stopped = true;
            onEnd.accept(session);
        }
    }
}

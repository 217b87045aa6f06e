package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.FailureCode;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.session.Dispatcher;
import dev.loginrelay.controller.session.SessionMoves;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Puts sessions on agents and follows them there. The controller owns the desired state (run, cancel); the agent
 * reports the observed state, which {@link AgentWatcher} hands to {@link SessionMoves}. Runs on the controller's
 * Vert.x context; never touches the store.
 */
public final class DispatchService implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(DispatchService.class);

    private final Vertx vertx;
    private final VmPool vms;
    private final AgentClient client;
    private final SessionMoves moves;
    private final Duration lostAfter;
    private final ReadyHook onReady;
    private final Map<UUID, AgentHandle> agents = new ConcurrentHashMap<>();
    private final Map<UUID, AgentWatcher> watchers = new ConcurrentHashMap<>();
    private final Admission admission;

    public DispatchService(Vertx vertx, VmPool vms, AgentClient client, SessionMoves moves, Duration lostAfter,
                           int maxStarting) {
        this(vertx, vms, client, moves, lostAfter, maxStarting, ReadyHook.NONE);
    }

    /**
     * @param maxStarting how many sessions may be starting at once on this replica; the others wait in creation
     *                    order ({@code pending})
     * @param onReady     runs on a ready session's agent before that agent is handed back (credential capture)
     */
    public DispatchService(Vertx vertx, VmPool vms, AgentClient client, SessionMoves moves, Duration lostAfter,
                           int maxStarting, ReadyHook onReady) {
        this.onReady = onReady;
        this.vertx = vertx;
        this.vms = vms;
        this.client = client;
        this.moves = moves;
        this.lostAfter = lostAfter;
        this.admission = new Admission(maxStarting, this::start);
    }

    @Override
    public void dispatch(AuthSession s) {
        vertx.runOnContext(v -> admission.submit(s));
    }

    @Override
    public java.util.Optional<Duration> waitEstimate(int position) {
        return java.util.Optional.of(admission.estimate(position));
    }

    /** The session's turn: get an agent, start the CLI's login there and follow it. */
    private void start(AuthSession s) {
        UUID id = s.sessionId();
        vms.acquire(id)
            .compose(agent -> {
                agents.put(id, agent);
                return moves.move(id, SessionState.PENDING, SessionState.STARTING, SessionChange.none()
                    .withPlacement(agent.agentId(), agent.vmId(), agent.vmIp())
                    .withDetail(new JsonObject().put("by", "controller").put("agentId", agent.agentId())
                        .put("vmProvider", vms.name())))
                    .compose(started -> client.startRun(agent, id.toString(), s.provider()).map(run -> started))
                    .onSuccess(started -> watch(started, agent))
                    .onFailure(e -> {
                        admission.done(id);
                        giveBack(id);
                    });
            })
            .onFailure(e -> {
                admission.done(id);
                failDispatch(id, e);
            });
    }

    private void failDispatch(UUID id, Throwable e) {
        if (SessionMoves.isLostRace(e)) {
            return; // cancelled or timed out while an agent was being found: nothing to fail
        }
        log.warn("session={} dispatch failed: {}", id, e.getMessage());
        moves.fail(id, FailureCode.DISPATCH_FAILED, "could not start the login on an agent: " + e.getMessage(),
                new JsonObject().put("by", "controller"))
            .onFailure(err -> log.warn("session={} could not be failed after dispatch error: {}", id, err.getMessage()));
    }

    private void watch(AuthSession s, AgentHandle agent) {
        AgentWatcher w = new AgentWatcher(vertx, client, moves, agent, s, lostAfter, admission::done, ended -> {
            watchers.remove(ended.sessionId());
            Future<Void> before = ended.status() == SessionState.READY
                ? onReady.beforeRelease(ended, agent).recover(e -> Future.succeededFuture())
                : Future.succeededFuture();
            before.onComplete(ar -> giveBack(ended.sessionId()));
        });
        AgentWatcher old = watchers.put(s.sessionId(), w);
        if (old != null) {
            old.stop();
        }
        w.start();
    }

    private void giveBack(UUID id) {
        AgentHandle a = agents.remove(id);
        if (a != null) {
            vms.release(a, id).onFailure(e -> log.warn("session={} agent={} release failed: {}", id, a.agentId(),
                e.getMessage()));
        }
    }

    /** The agent of a live session on this replica, or after a restart the one the VM provider still knows. */
    private Future<AgentHandle> agentOf(AuthSession s) {
        AgentHandle a = agents.get(s.sessionId());
        if (a != null) {
            return Future.succeededFuture(a);
        }
        if (s.agentId() == null) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_TRANSITION,
                "session " + s.sessionId() + " has no agent yet (status " + s.status().wireName() + ")"));
        }
        return vms.find(s.agentId(), s.sessionId()).map(o -> {
            AgentHandle found = o.orElseThrow(() -> new ApiException(ErrorCode.AGENT_UNREACHABLE,
                "the agent of session " + s.sessionId() + " is gone"));
            // Keep it: a provider may count every find as a hand-out that one release gives back.
            AgentHandle prior = agents.putIfAbsent(s.sessionId(), found);
            return prior == null ? found : prior;
        });
    }

    @Override
    public Future<JsonObject> callback(AuthSession s, String url) {
        return agentOf(s).compose(a -> client.callback(a, s.sessionId().toString(), url));
    }

    @Override
    public Future<JsonObject> code(AuthSession s, String code) {
        return agentOf(s).compose(a -> client.code(a, s.sessionId().toString(), code));
    }

    /**
     * A session ended here (cancelled, timed out): its watcher, if this replica has one, cancels the run on the agent
     * and releases it; otherwise this does both.
     */
    @Override
    public void stopRun(AuthSession s) {
        vertx.runOnContext(v -> admission.done(s.sessionId()));
        AgentWatcher w = watchers.get(s.sessionId());
        if (w != null) {
            // Its watcher hands the agent back after reading how the run ended; cancel the run now rather than at
            // its next poll, so the CLI (and a host lock such as codex's port) is freed at once.
            vertx.runOnContext(v -> w.endedHere());
            return;
        }
        if (s.agentId() == null) {
            return; // no agent yet
        }
        agentOf(s).compose(a -> client.cancel(a, s.sessionId().toString()))
            .onFailure(e -> log.debug("session={} cancel on agent: {}", s.sessionId(), e.getMessage()))
            .onComplete(ar -> giveBack(s.sessionId()));
    }

    /**
     * After a restart: follow every open session whose agent this replica can still reach, re-dispatch pending ones
     * that never got an agent, and fail those whose agent this replica started but is gone. Sessions of agents this
     * replica does not know are left to their owner (or to the timeout sweeper).
     */
    @Override
    public Future<Void> reconcile(java.util.List<AuthSession> open) {
        if (!open.isEmpty()) {
            log.info("reconciling {} open sessions", open.size());
        }
        // First the agents no live session owns (their session ended while this replica was down, or it was killed
        // while starting one): stopped, so a crash leaves none behind. Sessions past their deadline are the
        // sweeper's to end, and their agents go too. Then: a session whose agent this pool made and is gone lost it.
        java.time.Instant now = java.time.Instant.now();
        java.util.Set<String> owned = new java.util.HashSet<>();
        open.stream().filter(s -> s.agentId() != null && s.deadlineAt().isAfter(now))
            .forEach(s -> owned.add(s.agentId()));
        return vms.reapExcept(owned)
            .onSuccess(n -> {
                if (n > 0) {
                    log.info("stopped {} agents no live session owns", n);
                }
            })
            .recover(e -> {
                log.warn("could not look for orphaned agents: {}", e.getMessage());
                return Future.succeededFuture(0);
            })
            .compose(n -> vms.madeHere())
            .map(mine -> {
                open.stream().filter(s -> s.deadlineAt().isAfter(now)).forEach(s -> reconcile(s, mine));
                return null;
            });
    }

    private void reconcile(AuthSession s, java.util.function.Predicate<String> mine) {
        {
            if (s.agentId() == null) {
                if (s.status() == SessionState.PENDING) {
                    dispatch(s);
                }
                return;
            }
            vms.find(s.agentId(), s.sessionId()).onSuccess((Optional<AgentHandle> o) -> {
                if (o.isPresent()) {
                    agents.put(s.sessionId(), o.get());
                    log.info("session={} resumed on agent={} from agent seq {}", s.sessionId(), s.agentId(),
                        s.lastAgentSeq());
                    // A crash between placing the session and starting its run leaves the agent without the run:
                    // starting it is idempotent (the agent answers with the run it has).
                    Future<?> run = s.status() == SessionState.STARTING
                        ? client.startRun(o.get(), s.sessionId().toString(), s.provider())
                        : Future.succeededFuture();
                    run.onComplete(ar -> watch(s, o.get()));
                } else if (mine.test(s.agentId())) {
                    moves.fail(s.sessionId(), FailureCode.AGENT_LOST, "agent " + s.agentId()
                            + " was gone when the controller restarted", new JsonObject().put("by", "controller"))
                        .onFailure(e -> log.debug("session={} not failed: {}", s.sessionId(), e.getMessage()));
                }
            });
        }
    }

    @Override
    public void close() {
        watchers.values().forEach(AgentWatcher::stop);
        watchers.clear();
    }
}

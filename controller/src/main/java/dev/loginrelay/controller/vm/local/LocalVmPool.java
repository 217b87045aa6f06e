package dev.loginrelay.controller.vm.local;

import dev.loginrelay.controller.vm.VmPoolContext;
import dev.loginrelay.controller.vm.VmPoolFactory;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.CachedFuture;
import dev.loginrelay.controller.vm.CliCatalog;
import dev.loginrelay.controller.vm.DirNames;
import dev.loginrelay.controller.vm.SelfCheckCache;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.vm.local.LocalAgentProcess.LocalAgent;
import dev.loginrelay.controller.vm.local.LocalAgentProcess.Started;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * The default {@link VmPool}: one agent process per session on this host ({@code java -jar loginrelay-agent.jar}
 * on 127.0.0.1, port 0), its token written by the controller before the start, its work dir
 * {@code <dataDir>/agents/<agentId>} kept after release (the session's logs and the CLI's credentials) for
 * {@link LocalPoolConfig#retain()}, then removed; so are dirs of earlier runs of the controller once as old. All agents
 * share one lock dir, so codex browser logins on this host queue instead of cancelling each other. An agent outlives a
 * crashed controller; {@link #find} adopts it again from its {@code agent.json}.
 */
public final class LocalVmPool implements VmPool {
    /** {@code local}: an agent process per session on this host ({@code LOGINRELAY_AGENT_JAR}, ...). */
    public static final class Factory implements VmPoolFactory {
        @Override
        public List<String> names() {
            return List.of("local");
        }

        @Override
        public VmPool create(VmPoolContext ctx) {
            return new LocalVmPool(ctx.vertx(), LocalPoolConfig.fromEnv(ctx.env(), ctx.dataDir()), ctx.agents());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(LocalVmPool.class);
    private static final Pattern AGENT_ID = Pattern.compile("local-[a-z0-9]{4,32}");
    private static final long POLL_MS = 100;
    private static final long STOP_GRACE_MS = 5_000;
    private static final long KILL_WAIT_MS = 2_000;
    private static final Duration CATALOG_TTL = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final LocalPoolConfig config;
    private final AgentClient client;
    private final boolean ownsClient;
    /** Every agent process this provider started or adopted and has not released. */
    private final Map<String, ProcessHandle> processes = new ConcurrentHashMap<>();
    private final CachedFuture<JsonObject> catalog;
    private final WarmAgents warm;
    /** The agent being started ahead right now, if any: a click that finds no room waits for it, not for a new one. */
    private volatile Future<AgentHandle> warming;
    private final long sweepTimer;
    private volatile boolean closed;
    /** Shutting down: no more agents are started ahead (see {@link #stopIdle}). */
    private volatile boolean draining;

    public LocalVmPool(Vertx vertx, LocalPoolConfig config) {
        this(vertx, config, new AgentClient(vertx, Duration.ofSeconds(5)), true);
    }

    public LocalVmPool(Vertx vertx, LocalPoolConfig config, AgentClient client) {
        this(vertx, config, client, false);
    }

    private LocalVmPool(Vertx vertx, LocalPoolConfig config, AgentClient client, boolean ownsClient) {
        this.vertx = vertx;
        this.config = config;
        this.client = client;
        this.ownsClient = ownsClient;
        this.warm = new WarmAgents(config.sessionsPerAgent(), config.warmAgents());
        this.catalog = new CachedFuture<>(CATALOG_TTL, () -> vertx.executeBlocking(
            () -> CliCatalog.fromDoctor(selfCheck()), false));
        // Often enough that a dir outlives its retention by at most half of it (and a minute); not at once, so the
        // controller's start-up reconciliation sees the dirs of the agents it made (madeHere) first.
        long every = Math.min(60_000L, Math.max(200L, config.retain().toMillis() / 2));
        this.sweepTimer = vertx.setPeriodic(every, every, t -> removeExpiredDirs());
    }

    private void removeExpiredDirs() {
        Instant cutoff = Instant.now().minus(config.retain());
        vertx.executeBlocking(() -> AgentDirs.removeExpired(config, processes::containsKey, cutoff), false)
            .onSuccess(ids -> {
                if (!ids.isEmpty()) {
                    log.info("removed the dirs of {} stopped agents older than {} s: {}", ids.size(),
                        config.retain().toSeconds(), ids);
                }
            })
            .onFailure(e -> log.warn("could not remove expired agent dirs under {}: {}", config.agentsDir(),
                e.getMessage()));
    }

    @Override
    public String name() {
        return "local";
    }

    /**
     * The agent's self-check report, reused from the data dir while the agent jar, the CLIs and the operator specs
     * are unchanged (the key covers their files). Blocking.
     */
    private JsonObject selfCheck() {
        List<Path> dirs = new ArrayList<>(config.cliPath());
        dirs.addAll(List.of(Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin")));
        if (config.providersDir() != null) {
            dirs.add(config.providersDir());
        }
        String key = SelfCheckCache.keyOf(List.of(config.agentJar()), dirs, config.javaBin().toString(),
            System.getenv().getOrDefault("PATH", ""));
        SelfCheckCache cache = new SelfCheckCache(config.dataDir().resolve("doctor").resolve("self-check.json"));
        Optional<JsonObject> cached = cache.read(key);
        if (cached.isPresent()) {
            log.info("providers' self-check reused from {} (agent jar and CLIs unchanged)", config.dataDir()
                .resolve("doctor"));
            return cached.get();
        }
        long t0 = System.nanoTime();
        JsonObject report = LocalDoctor.run(config);
        cache.write(key, report);
        log.info("providers' self-check ran in {} ms", (System.nanoTime() - t0) / 1_000_000);
        return report;
    }

    /**
     * A started agent with room when there is one (no wait), otherwise a new one for this session; either way the
     * warm capacity is refilled in the background.
     */
    @Override
    public Future<AgentHandle> acquire(UUID sessionId) {
        if (closed) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the local VM provider is closed"));
        }
        Optional<AgentHandle> ready = warm.take();
        while (ready.isPresent() && !alive(ready.get().agentId())) {
            log.warn("agent={} died while warm; starting another", ready.get().agentId());
            warm.remove(ready.get().agentId());
            processes.remove(ready.get().agentId());
            ready = warm.take();
        }
        if (ready.isPresent()) {
            log.info("session={} agent={} (started ahead)", sessionId, ready.get().agentId());
            warm();
            return Future.succeededFuture(ready.get());
        }
        Future<AgentHandle> inFlight = warming;
        if (inFlight != null && !inFlight.isComplete()) {
            // One JVM starting is faster than two starting side by side on a busy host: wait for the warm one.
            return inFlight.transform(ar -> acquire(sessionId));
        }
        return startAgent(sessionId).map(h -> {
            warm.add(h, 1);
            warm();
            return h;
        });
    }

    @Override
    public Map<String, Integer> capacity() {
        return warm.counts();
    }

    private boolean alive(String agentId) {
        ProcessHandle ph = processes.get(agentId);
        return ph != null && ph.isAlive();
    }

    /** Starts agents in the background until {@code warmAgents} with room are up. */
    @Override
    public void warm() {
        if (closed || draining || !warm.startIfNeeded()) {
            return;
        }
        Future<AgentHandle> start = startAgent(null);
        warming = start;
        start.onComplete(ar -> {
            warm.startEnded();
            if (ar.succeeded()) {
                warm.add(ar.result(), 0);
                if (draining) { // it came up after stopIdle looked: stop it too, off the event loop
                    vertx.executeBlocking(() -> {
                        stopIdle();
                        return null;
                    }, false);
                    return;
                }
                warm();
            } else {
                log.warn("could not start a warm agent: {}", ar.cause().getMessage());
            }
        });
    }

    private Future<AgentHandle> startAgent(UUID sessionId) {
        String agentId = "local-" + HexFormat.of().formatHex(bytes(5));
        long t0 = System.nanoTime();
        long deadline = t0 + config.startTimeout().toNanos();
        return vertx.executeBlocking(() -> launch(agentId, sessionId), false)
            .recover(e -> Future.failedFuture(e instanceof ApiException ? e : new ApiException(
                ErrorCode.AGENT_UNAVAILABLE, "cannot start agent " + agentId + " (" + config.agentJar() + "): " + e, e)))
            .compose(s -> awaitPort(s, deadline)
                .compose(port -> awaitHealth(LocalAgentProcess.handle(agentId, port, s.token()), s, deadline)
                    .compose(h -> vertx.executeBlocking(() -> {
                        LocalAgentProcess.recordPort(s.dir(), port);
                        return h;
                    }, false)))
                .recover(e -> startFailed(s, e)))
            .onSuccess(h -> log.info("session={} agent={} listening at {} after {} ms",
                sessionId == null ? "(warm)" : sessionId, agentId, h.baseUrl(), (System.nanoTime() - t0) / 1_000_000));
    }

    private Started launch(String agentId, UUID sessionId) throws Exception {
        Started s = LocalAgentProcess.start(config, agentId, sessionId);
        processes.put(agentId, s.process().toHandle());
        if (closed) { // close() ran while this one was starting: it saw nothing to stop
            processes.remove(agentId);
            killTree(s.process().toHandle());
            throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the local VM provider closed while " + agentId
                + " was starting");
        }
        log.debug("session={} agent={} started pid={} dir={}", sessionId, agentId, s.process().pid(), s.dir());
        return s;
    }

    private Future<Integer> awaitPort(Started s, long deadline) {
        return vertx.executeBlocking(() -> Optional.ofNullable(LocalAgentProcess.readPort(s.dir())), false)
            .compose(port -> {
                if (port.isPresent()) {
                    return Future.succeededFuture(port.get());
                }
                if (!s.process().isAlive()) {
                    return Future.failedFuture("exited with code " + s.process().exitValue() + " before it listened");
                }
                if (System.nanoTime() > deadline) {
                    return Future.failedFuture("did not listen within " + config.startTimeout().toMillis() + " ms");
                }
                return vertx.timer(POLL_MS).compose(v -> awaitPort(s, deadline));
            });
    }

    private Future<AgentHandle> awaitHealth(AgentHandle h, Started s, long deadline) {
        return client.health(h).map(ok -> h).recover(e -> {
            if (!s.process().isAlive()) {
                return Future.failedFuture("exited with code " + s.process().exitValue() + " before /health answered");
            }
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("did not answer /health within " + config.startTimeout().toMillis()
                    + " ms: " + e.getMessage());
            }
            return vertx.timer(POLL_MS).compose(v -> awaitHealth(h, s, deadline));
        });
    }

    /** Kills the agent that did not come up and fails naming the jar, the reason and what the agent printed. */
    private <T> Future<T> startFailed(Started s, Throwable why) {
        return vertx.executeBlocking(() -> {
            processes.remove(s.agentId());
            killTree(s.process().toHandle());
            String msg = "agent " + s.agentId() + " (" + config.javaBin() + " -jar " + config.agentJar() + ") "
                + why.getMessage() + "; its output (" + s.dir().resolve(LocalAgentProcess.LOG) + "): "
                + LocalAgentProcess.logTail(s.dir());
            log.warn("{}", msg);
            throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, msg);
        }, false);
    }

    @Override
    public Future<Void> release(AgentHandle handle) {
        String id = handle.agentId();
        if (!AGENT_ID.matcher(id).matches()) {
            return Future.failedFuture(new IllegalArgumentException("not a local agent id: " + id));
        }
        if (!warm.giveBack(id)) {
            log.info("agent={} stays up for the next sessions", id);
            return Future.succeededFuture();
        }
        ProcessHandle known = processes.remove(id);
        Future<Optional<ProcessHandle>> which = known != null ? Future.succeededFuture(Optional.of(known))
            : vertx.executeBlocking(() -> LocalAgentProcess.load(config, id).map(LocalAgent::process), false);
        return which.compose(ph -> ph.isPresent() ? stop(ph.get()) : Future.succeededFuture())
            .onSuccess(v -> log.info("agent={} stopped; its dir {} is kept for {} s", id, config.agentDir(id),
                config.retain().toSeconds()));
    }

    /** SIGTERM (the agent cancels its runs and kills their CLIs), then after 5 s SIGKILL to it and its children. */
    private Future<Void> stop(ProcessHandle ph) {
        if (!ph.isAlive()) {
            return Future.succeededFuture();
        }
        ph.destroy();
        return Future.fromCompletionStage(ph.onExit(), vertx.getOrCreateContext())
            .timeout(STOP_GRACE_MS, TimeUnit.MILLISECONDS)
            .recover(e -> vertx.executeBlocking(() -> {
                log.warn("agent pid={} did not stop within {} ms of SIGTERM; killing it", ph.pid(), STOP_GRACE_MS);
                killTree(ph);
                return ph;
            }, false).compose(p -> Future.fromCompletionStage(p.onExit(), vertx.getOrCreateContext())
                .timeout(KILL_WAIT_MS, TimeUnit.MILLISECONDS)))
            .mapEmpty();
    }

    /** The agents this replica started: each has its dir under {@code <dataDir>/agents}, kept after it stops. */
    @Override
    public Future<Predicate<String>> madeHere() {
        return vertx.executeBlocking(() -> DirNames.under(config.agentsDir()), false)
            .map(ids -> ids::contains);
    }

    @Override
    public Future<Integer> reapExcept(java.util.Set<String> owned) {
        return vertx.executeBlocking(() -> LocalReaper.reap(config, owned), false);
    }

    @Override
    public Future<Optional<AgentHandle>> find(String agentId) {
        if (agentId == null || !AGENT_ID.matcher(agentId).matches()) {
            return Future.succeededFuture(Optional.empty());
        }
        return vertx.executeBlocking(() -> LocalAgentProcess.load(config, agentId), false)
            .compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.<AgentHandle>empty())
                : client.health(found.get().handle()).map(ok -> {
                    processes.put(agentId, found.get().process());
                    warm.add(found.get().handle(), 1);
                    log.info("agent={} found again at {} (pid {})", agentId, found.get().handle().baseUrl(),
                        found.get().process().pid());
                    return Optional.of(found.get().handle());
                }).otherwise(e -> {
                    log.info("agent={} runs (pid {}) but does not answer /health: {}", agentId,
                        found.get().process().pid(), e.getMessage());
                    return Optional.empty();
                }));
    }

    @Override
    public Future<JsonObject> providers() {
        return catalog.get();
    }

    /**
     * Stops the agents that serve no session (started ahead, or kept after their last session), after waiting a
     * little for one being started ahead; agents with sessions keep running for the next controller to resume.
     */
    @Override
    public void stopIdle() {
        draining = true;
        Future<AgentHandle> inFlight = warming;
        if (inFlight != null) {
            try {
                inFlight.toCompletionStage().toCompletableFuture().get(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // it did not start (or not yet): nothing of it to stop here; a restart reaps what is left
            }
        }
        List<ProcessHandle> idle = new ArrayList<>();
        for (String id : warm.removeIdle()) {
            ProcessHandle ph = processes.remove(id);
            if (ph != null) {
                idle.add(ph);
            }
        }
        stopAll(idle);
        if (!idle.isEmpty()) {
            log.info("stopped {} idle agents", idle.size());
        }
    }

    /**
     * Stops every agent this provider started or found and has not released: SIGTERM to all, up to 5 s for them to
     * exit, then SIGKILL to what is left and its children. Blocking; safe in a shutdown hook.
     */
    @Override
    public void close() {
        closed = true;
        vertx.cancelTimer(sweepTimer);
        List<ProcessHandle> all = new ArrayList<>(processes.values());
        processes.clear();
        stopAll(all);
        if (!all.isEmpty()) {
            log.info("stopped {} local agents", all.size());
        }
        if (ownsClient) {
            client.close();
        }
    }

    /** SIGTERM to all, up to 5 s for them to exit, then SIGKILL to what is left and its children. Blocking. */
    private static void stopAll(List<ProcessHandle> all) {
        all.forEach(ProcessHandle::destroy);
        awaitExit(all, STOP_GRACE_MS);
        all.stream().filter(ProcessHandle::isAlive).forEach(LocalVmPool::killTree);
        awaitExit(all, KILL_WAIT_MS);
    }

    private static void awaitExit(List<ProcessHandle> all, long budgetMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMs);
        for (ProcessHandle ph : all) {
            try {
                ph.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // still alive: the caller kills it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void killTree(ProcessHandle ph) {
        List<ProcessHandle> children = ph.descendants().toList();
        ph.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}

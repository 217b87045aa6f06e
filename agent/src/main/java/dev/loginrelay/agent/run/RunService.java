package dev.loginrelay.agent.run;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.relay.CallbackRelay;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The registry of live and recently finished runs, keyed by the controller's session id. All of it runs on one
 * Vert.x context, so the map needs no locks. Finished runs stay readable for {@code retainSeconds}; then the run is
 * dropped and its work dir {@code <workDir>/sessions/<id>} deleted (as are dirs an earlier agent process left).
 */
public final class RunService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final ProviderCatalog catalog;
    private final RunDeps deps;
    private final Map<String, LoginRun> runs = new LinkedHashMap<>();
    private final java.util.Set<String> taken = new java.util.HashSet<>();
    private final long sweepTimer;
    private final StartedAhead ahead;

    /** {@code users}: {@link RunUsers#of(AgentConfig)}, decided off the event loop. */
    public RunService(Vertx vertx, Context context, AgentConfig config, ProviderCatalog catalog, RunUsers users) {
        this.catalog = catalog;
        if (users.enabled()) {
            log.info("each login's CLI runs as a throw-away Unix user of its own");
        } else {
            log.info("the CLIs run as the agent's own user, each login in its own 0700 HOME ({})", users.why());
        }
        this.deps = new RunDeps(vertx, context, config, new CallbackRelay(vertx), new DiagnosticsLog(config.logDir()),
            users);
        vertx.executeBlocking(users::trim, false).onSuccess(n -> {
            if (n > 0) {
                log.info("deleted {} run users beyond the {} kept for reuse on this host", n, RunUsers.KEEP);
            }
        });
        this.ahead = new StartedAhead(deps, catalog, config.prestart(), this::liveRuns,
            () -> runs.values().stream().anyMatch(r -> r.state() == RunState.STARTING)
                || runs.values().stream().filter(r -> !r.state().isTerminal()).count() >= StartedAhead.BUSY_SESSIONS);
        // Often enough that a run outlives its retention by at most half of it (and 30 s).
        this.sweepTimer = vertx.setPeriodic(Math.min(30_000L, Math.max(200L, config.retainSeconds() * 500L)),
            t -> sweep());
        context.runOnContext(v -> ahead.startAll());
    }

    /** Starts a login, or returns the existing run when the same session asks again for the same provider. */
    public Future<Started> start(String sessionId, String provider) {
        if (sessionId == null || !SESSION_ID.matcher(sessionId).matches()) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "sessionId must be 1-64 characters of letters, digits, '.', '_' or '-'"));
        }
        if (sessionId.startsWith(HostLock.Ticket.AHEAD)) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "sessionId must not start with '" + HostLock.Ticket.AHEAD + "' (the agent's own logins started ahead)"));
        }
        ProviderSpec spec = catalog.find(provider == null ? "" : provider).orElseThrow(() -> new ApiException(
            ErrorCode.UNKNOWN_PROVIDER, "unknown provider '" + provider + "'; known: " + names()));
        if (!spec.supported()) {
            throw new ApiException(ErrorCode.PROVIDER_UNSUPPORTED,
                "provider " + spec.name() + " is not supported: " + spec.unsupportedReason());
        }
        LoginRun existing = runs.get(sessionId);
        if (existing != null) {
            if (!existing.spec().name().equals(spec.name())) {
                throw new ApiException(ErrorCode.RUN_EXISTS, "session " + sessionId + " already runs provider "
                    + existing.spec().name());
            }
            return Future.succeededFuture(new Started(existing.view(), false));
        }
        LoginRun taken = ahead.take(spec, sessionId);
        if (taken != null) {
            runs.put(sessionId, taken);
            return Future.succeededFuture(new Started(taken.view(), true));
        }
        long live = liveRuns();
        if (live >= deps.config().maxRuns()) {
            throw new ApiException(ErrorCode.TOO_MANY_RUNS, "this agent already runs " + live
                + " logins (maxRuns=" + deps.config().maxRuns() + ")");
        }
        LoginRun run = new LoginRun(sessionId, spec, deps);
        runs.put(sessionId, run);
        run.start();
        return Future.succeededFuture(new Started(run.view(), true));
    }

    /** Runs whose CLI runs or may still run: the sessions' and those started ahead. */
    private int liveRuns() {
        return (int) runs.values().stream().filter(r -> !r.state().isTerminal()).count() + ahead.live();
    }

    /** Per provider started ahead ({@code --prestart}), the state of the login waiting for a session. */
    public JsonObject startedAhead() {
        return ahead.view();
    }

    /** A start's result: the run's view and whether this call created it. */
    public record Started(JsonObject view, boolean created) {
    }

    public JsonObject view(String id) {
        return find(id).view();
    }

    public JsonArray list() {
        JsonArray a = new JsonArray();
        runs.values().forEach(r -> a.add(r.view()));
        return a;
    }

    /** Events after {@code after}, waiting up to {@code waitMs} for the first one when there are none yet. */
    public Future<JsonObject> events(String id, long after, long waitMs) {
        LoginRun run = find(id);
        return run.events().await(after, waitMs, run.state().isTerminal()).map(list -> {
            JsonArray a = new JsonArray();
            list.forEach(e -> a.add(e.toJson()));
            return new JsonObject().put("events", a).put("state", run.state().wireName())
                .put("terminal", run.state().isTerminal()).put("lastSeq", run.events().lastSeq());
        });
    }

    /** Streams events after {@code after} to {@code sink}; returns what stops the stream. */
    public Runnable stream(String id, long after, Consumer<JsonObject> sink) {
        LoginRun run = find(id);
        run.events().after(after).forEach(e -> sink.accept(e.toJson()));
        Consumer<RunEvent> l = e -> sink.accept(e.toJson());
        run.events().listen(l);
        return () -> run.events().unlisten(l);
    }

    public Future<JsonObject> callback(String id, String url) {
        return find(id).relayCallback(url);
    }

    public Future<JsonObject> code(String id, String code) {
        return find(id).submitCode(code);
    }

    public Future<JsonObject> cancel(String id) {
        LoginRun run = find(id);
        return run.cancel().map(v -> run.view());
    }

    /**
     * Hands the credential files of a {@code ready} run over, once: {@code {files:[{path,mode,content}], account,
     * expiresAt}}, then deletes them from the run's HOME. A second call is {@code ILLEGAL_STATE}.
     */
    public Future<JsonObject> takeCredentials(String id) {
        LoginRun run = find(id);
        if (run.state() != RunState.READY) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE, "run " + id + " is " + run.state().wireName()
                + "; its credentials are handed over only once it is ready");
        }
        if (!taken.add(id)) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE, "the credentials of run " + id
                + " were already handed over (once only)");
        }
        java.nio.file.Path home = run.home();
        List<ProviderSpec.CredentialFile> files = run.spec().success().credentialFiles();
        JsonObject account = run.view().getJsonObject("account");
        return deps.vertx().executeBlocking(() -> {
            JsonArray wire = CredentialFiles.read(home, files);
            int deleted = CredentialFiles.delete(home, files);
            log.info("run={} credentials handed over: {} files, {} deleted from the run's HOME", id, wire.size(),
                deleted);
            Instant expires = CredentialExpiry.of(wire);
            return new JsonObject().put("provider", run.spec().name()).put("files", wire)
                .put("account", account == null ? new JsonObject() : account)
                .put("expiresAt", expires == null ? null : expires.toString());
        }, false).onFailure(e -> taken.remove(id)); // nothing was deleted: the controller may ask again
    }

    public boolean isTerminal(String id) {
        return find(id).state().isTerminal();
    }

    private LoginRun find(String id) {
        LoginRun run = id == null ? null : runs.get(id);
        if (run == null) {
            throw new ApiException(ErrorCode.RUN_NOT_FOUND, "no run for session '" + id + "' on this agent");
        }
        return run;
    }

    private String names() {
        return String.join(", ", catalog.all().stream().map(ProviderSpec::name).toList());
    }

    private void sweep() {
        Instant cutoff = Instant.now().minusSeconds(deps.config().retainSeconds());
        List<String> gone = new ArrayList<>();
        runs.forEach((id, r) -> {
            if (r.state().isTerminal() && r.updatedAt().isBefore(cutoff) && r.stopped().isComplete()) {
                gone.add(id);
            }
        });
        List<String> dirs = new ArrayList<>(gone);
        gone.stream().map(id -> runs.get(id).id()).filter(d -> !gone.contains(d)).forEach(dirs::add);
        dirs.addAll(ahead.dropRetired());
        gone.forEach(runs::remove);
        gone.forEach(taken::remove);
        if (!gone.isEmpty()) {
            log.info("forgot {} finished runs older than {} s", gone.size(), deps.config().retainSeconds());
        }
        java.util.Set<String> known = new java.util.HashSet<>(ahead.ids());
        runs.values().forEach(r -> known.add(r.id()));
        Path sessions = RunHome.sessionsDir(deps.config());
        deps.vertx().executeBlocking(() -> SessionDirs.removeExpired(sessions, dirs, known, cutoff), false)
            .onSuccess(n -> {
                if (n > 0) {
                    log.info("removed {} session dirs under {} (retainSeconds={})", n, sessions,
                        deps.config().retainSeconds());
                }
            })
            .onFailure(e -> log.warn("could not remove expired session dirs: {}", e.getMessage()));
    }

    /**
     * Cancels every live run (agent shutdown) and completes once their process trees are gone, so the workers that
     * kill them are not shut down under them.
     */
    public Future<Void> shutdown() {
        deps.vertx().cancelTimer(sweepTimer);
        List<Future<Void>> kills = new ArrayList<>(ahead.close());
        for (LoginRun r : runs.values()) {
            if (!r.state().isTerminal()) {
                r.cancel();
            }
            kills.add(r.stopped());
        }
        return Future.join(kills).<Void>mapEmpty()
            .eventually(() -> deps.vertx().executeBlocking(() -> {
                deps.diagnostics().close(); // flushes queued lines; blocking, so on a worker
                return null;
            }, false))
            .eventually(() -> deps.vertx().executeBlocking(() -> {
                deps.users().close(); // after every run's stop: lets go of its users (kept on the host for reuse)
                return null;
            }, false))
            .eventually(() -> deps.relay().close());
    }

    @Override
    public void close() {
        shutdown();
    }
}

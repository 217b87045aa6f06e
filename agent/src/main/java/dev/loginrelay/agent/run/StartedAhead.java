package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.provider.ProviderSpec.RelayMode;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Logins started before any session asks ({@code --prestart}): one per named provider, so that at a click the CLI's
 * link is already on its terminal and the session only has to {@link #take} it. A provider whose logins take a
 * host-wide lock (codex's fixed port 1455) gives it up the moment a session's login on this host waits for it. Each is an ordinary run in its own
 * fresh 0700 HOME; the CLI mints its state and PKCE for that run alone, a run is handed to at most one session, and
 * one nobody took within {@code prestartSeconds} is cancelled and replaced, so no link is shown twice or lives long.
 * A start that fails before its link shows is retried after a growing pause; a CLI that is not installed is not
 * retried. Everything runs on the agent's run context.
 */
final class StartedAhead {
    private static final Logger log = LoggerFactory.getLogger(StartedAhead.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** First pause after a start that failed before its link; doubles up to {@code prestartSeconds}. */
    private static final long FIRST_RETRY_MS = 5_000;
    /**
     * A login is started ahead only while no session's login of this agent is starting and it serves fewer than
     * {@link #BUSY_SESSIONS}: on a busy agent it would take CPU (and memory) from the logins users wait for; the pool
     * has other agents for the next clicks then. Checked again this often.
     */
    private static final long BUSY_RETRY_MS = 1_000;
    /** An agent serving this many live sessions starts no login ahead (a burst's agents keep none idle). */
    static final int BUSY_SESSIONS = 8;
    /** After being busy, an agent starts logins ahead only once it has been calm this long (a burst's end). */
    private static final long CALM_NANOS = TimeUnit.SECONDS.toNanos(10);
    private long busySince = System.nanoTime() - CALM_NANOS;
    /** How often a login started ahead that takes a host lock (codex's port 1455) looks for a session wanting it. */
    private static final long YIELD_POLL_MS = 200;

    private final RunDeps deps;
    private final List<ProviderSpec> specs;
    private final IntSupplier liveRuns;
    /**
     * True while the agent is busy with sessions: one's login is still starting (its CLI not at its link yet), or
     * it serves {@link #BUSY_SESSIONS} or more.
     */
    private final java.util.function.BooleanSupplier busy;
    private final Map<String, Entry> ready = new LinkedHashMap<>();
    /** Runs retired or failed while waiting: their dirs go once their CLI is gone. */
    private final List<LoginRun> retired = new ArrayList<>();
    private final Map<String, Integer> failures = new LinkedHashMap<>();
    private boolean closed;

    private static final class Entry {
        final LoginRun run;
        final long startedAt = System.nanoTime();
        long lifeTimer = -1;
        long yieldTimer = -1;
        boolean linkShown;
        boolean gaveWay;
        Consumer<RunEvent> listener;

        Entry(LoginRun run) {
            this.run = run;
        }
    }

    /**
     * @param names    the providers to start ahead; each must be a known provider whose logins share nothing on the
     *                 host and show a link (an IllegalArgumentException names the one that does not)
     * @param liveRuns how many runs the agent has live now (the started-ahead ones count against {@code maxRuns})
     */
    StartedAhead(RunDeps deps, ProviderCatalog catalog, List<String> names, IntSupplier liveRuns,
                 java.util.function.BooleanSupplier busy) {
        this.deps = deps;
        this.liveRuns = liveRuns;
        this.busy = busy;
        List<ProviderSpec> s = new ArrayList<>();
        for (String name : names) {
            ProviderSpec spec = catalog.find(name).orElseThrow(() -> new IllegalArgumentException(
                "--prestart names unknown provider '" + name + "'; known: "
                    + String.join(", ", catalog.all().stream().map(ProviderSpec::name).toList())));
            String why = whyNot(spec);
            if (why != null) {
                throw new IllegalArgumentException("--prestart cannot start " + spec.name() + " ahead: " + why);
            }
            s.add(spec);
        }
        this.specs = List.copyOf(s);
    }

    /** Why a provider's login cannot be started before its session exists; null when it can. */
    static String whyNot(ProviderSpec spec) {
        if (!spec.supported()) {
            return "it is not supported here (" + spec.unsupportedReason() + ")";
        }
        if (spec.relay() == RelayMode.DEVICE_CODE) {
            return "it shows a device code, which its issuer expires on its own clock";
        }
        if (spec.env().values().stream().anyMatch(v -> v.contains("${SESSION_ID}"))) {
            return "its environment names ${SESSION_ID}, which is not known before a session asks";
        }
        return null;
    }

    /**
     * Starts one login ahead for each named provider, after {@link #BUSY_RETRY_MS}: an agent started for a burst of
     * sessions serves them first.
     */
    void startAll() {
        deps.vertx().setTimer(BUSY_RETRY_MS, t -> specs.forEach(this::start));
    }

    /**
     * The started-ahead login of {@code provider} if its link is out and nobody took it yet, now belonging to
     * {@code sessionId}; another one is started ahead at once. Null when there is none ready (the session starts
     * its own).
     */
    LoginRun take(ProviderSpec spec, String sessionId) {
        Entry e = ready.get(spec.name());
        if (e == null || !e.run.adoptable()) {
            return null;
        }
        ready.remove(spec.name());
        deps.vertx().cancelTimer(e.lifeTimer);
        deps.vertx().cancelTimer(e.yieldTimer);
        e.run.events().unlisten(e.listener);
        long aheadMs = (System.nanoTime() - e.startedAt) / 1_000_000;
        e.run.adopt(sessionId, aheadMs);
        log.info("session={} took the {} login started ahead as run={} ({} ms before)", sessionId, spec.name(),
            e.run.id(), aheadMs);
        deps.context().runOnContext(v -> start(spec));
        return e.run;
    }

    private void start(ProviderSpec spec) {
        if (closed || ready.containsKey(spec.name())) {
            return;
        }
        if (busy.getAsBoolean()) {
            busySince = System.nanoTime();
        }
        if (System.nanoTime() - busySince < CALM_NANOS) {
            deps.vertx().setTimer(BUSY_RETRY_MS, t -> start(spec));
            return;
        }
        if (liveRuns.getAsInt() >= deps.config().maxRuns()) {
            log.info("not starting {} ahead now: the agent runs its maxRuns={}; again in {} ms", spec.name(),
                deps.config().maxRuns(), FIRST_RETRY_MS);
            deps.vertx().setTimer(FIRST_RETRY_MS, t -> start(spec));
            return;
        }
        String cli = spec.command().get(0);
        deps.vertx().executeBlocking(() -> RunHome.which(cli, deps.config().runPath()), false).onComplete(found -> {
            if (found.failed()) {
                log.warn("not starting {} ahead: {}", spec.name(), found.cause().getMessage());
                return;
            }
            if (closed || ready.containsKey(spec.name())) {
                return;
            }
            LoginRun run = new LoginRun(HostLock.Ticket.AHEAD + HexFormat.of().formatHex(bytes(6)), spec, deps);
            Entry e = new Entry(run);
            e.listener = ev -> onEvent(spec, e, ev);
            ready.put(spec.name(), e);
            run.events().listen(e.listener);
            run.start();
            e.lifeTimer = deps.vertx().setTimer(deps.config().prestartSeconds() * 1000L, t -> retire(spec, e));
            if (spec.exclusive() != null) {
                e.yieldTimer = deps.vertx().setPeriodic(YIELD_POLL_MS, t -> giveWay(spec, e));
            }
        });
    }

    /**
     * A login started ahead that takes a host-wide lock (a fixed loopback port) holds it, or waits for it, only while
     * no session's login on this host wants it: when one does (in this agent or another), it is discarded at once,
     * and the next one is started ahead only after that session's turn.
     */
    private void giveWay(ProviderSpec spec, Entry e) {
        if (ready.get(spec.name()) != e || e.run.state().isTerminal()) {
            deps.vertx().cancelTimer(e.yieldTimer);
            return;
        }
        e.run.sessionWaitsForHostLock().onSuccess(waiting -> {
            if (waiting && ready.get(spec.name()) == e && !e.run.state().isTerminal()) {
                log.info("the {} login started ahead as run={} gives host lock {} to a session's login", spec.name(),
                    e.run.id(), spec.exclusive());
                e.gaveWay = true;
                e.run.discard("started ahead; gave host lock " + spec.exclusive() + " to a session's login");
            }
        });
    }

    private void onEvent(ProviderSpec spec, Entry e, RunEvent ev) {
        if (!e.linkShown && e.run.adoptable()) {
            e.linkShown = true;
            failures.remove(spec.name());
            log.info("{} login started ahead as run={}: its link is out after {} ms", spec.name(), e.run.id(),
                (System.nanoTime() - e.startedAt) / 1_000_000);
        }
        if (e.run.state().isTerminal() && ready.get(spec.name()) == e) {
            // Ended while nobody had it (the CLI exited, a timeout): it goes, and another starts.
            ready.remove(spec.name());
            deps.vertx().cancelTimer(e.lifeTimer);
            deps.vertx().cancelTimer(e.yieldTimer);
            retired.add(e.run);
            if (e.gaveWay || e.linkShown || e.run.state() != RunState.FAILED) {
                // Discarded, given way (its successor queues for the lock behind the session) or timed out.
                deps.context().runOnContext(v -> start(spec));
            } else {
                int n = failures.merge(spec.name(), 1, Integer::sum);
                long pause = Math.min(deps.config().prestartSeconds() * 1000L, FIRST_RETRY_MS << Math.min(n - 1, 16));
                log.warn("the {} login started ahead as run={} ended as {} before its link showed; again in {} ms",
                    spec.name(), e.run.id(), e.run.state().wireName(), pause);
                deps.vertx().setTimer(pause, t -> start(spec));
            }
        }
    }

    /** Nobody took it within its lifetime: cancel it (its listener then starts a fresh one). */
    private void retire(ProviderSpec spec, Entry e) {
        if (ready.get(spec.name()) != e || e.run.state().isTerminal()) {
            return;
        }
        log.info("the {} login started ahead as run={} was not taken within {} s: discarded", spec.name(),
            e.run.id(), deps.config().prestartSeconds());
        e.run.discard("started ahead and not taken within " + deps.config().prestartSeconds() + " s");
    }

    /** How many started-ahead logins are live (they count against {@code maxRuns}). */
    int live() {
        return (int) ready.values().stream().filter(e -> !e.run.state().isTerminal()).count();
    }

    /** The work-dir names of the runs held here (live and retired), so the sweep leaves their dirs alone. */
    List<String> ids() {
        List<String> ids = new ArrayList<>();
        ready.values().forEach(e -> ids.add(e.run.id()));
        retired.forEach(r -> ids.add(r.id()));
        return ids;
    }

    /** Forgets the retired runs whose CLI is gone and answers their work-dir names (to delete). */
    List<String> dropRetired() {
        List<String> gone = new ArrayList<>();
        retired.removeIf(r -> {
            if (r.stopped().isComplete()) {
                gone.add(r.id());
                return true;
            }
            return false;
        });
        return gone;
    }

    /** Per provider, the state of its started-ahead login ({@code starting}, {@code awaiting_user} = link out). */
    JsonObject view() {
        JsonObject v = new JsonObject();
        ready.forEach((name, e) -> v.put(name, e.run.state().wireName()));
        return v;
    }

    /** Starts no more and cancels those waiting; answers every run's stop (the CLI gone). */
    List<io.vertx.core.Future<Void>> close() {
        closed = true;
        List<io.vertx.core.Future<Void>> stops = new ArrayList<>();
        for (Entry e : List.copyOf(ready.values())) {
            deps.vertx().cancelTimer(e.lifeTimer);
            deps.vertx().cancelTimer(e.yieldTimer);
            e.run.events().unlisten(e.listener);
            if (!e.run.state().isTerminal()) {
                e.run.discard("the agent is stopping");
            }
            stops.add(e.run.stopped());
        }
        ready.clear();
        retired.forEach(r -> stops.add(r.stopped()));
        return stops;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}

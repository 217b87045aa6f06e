package dev.loginrelay.controller.bench;

import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * N sessions created at once: what became of each (failed? waiting in order? showing its link?), the memory of the
 * live logins (agent JVMs against the CLIs), then everything cancelled and the time until no CLI is left.
 */
final class Burst {
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(300);

    private final ConnectBench.Api api;
    private final String provider;
    private final int n;
    private final Path dataDir;

    Burst(ConnectBench.Api api, String provider, int n, Path dataDir) {
        this.api = api;
        this.provider = provider;
        this.n = n;
        this.dataDir = dataDir;
    }

    void run() throws Exception {
        List<String> ids = new ArrayList<>();
        Map<Integer, Integer> createStatus = new TreeMap<>();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, 32));
        try {
            List<Future<JsonObject>> creates = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String user = "burst-" + i;
                creates.add(pool.submit(() -> api.create(provider, user)));
            }
            for (Future<JsonObject> f : creates) {
                JsonObject r = f.get(120, TimeUnit.SECONDS);
                createStatus.merge(r.getInteger("httpStatus"), 1, Integer::sum);
                if (r.getInteger("httpStatus") == 201) {
                    ids.add(r.getString("id"));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long created = System.nanoTime() - t0;
        Map<String, JsonObject> last = new ConcurrentHashMap<>();
        long settledAt = 0;
        int maxWaiting = 0;
        while (System.nanoTime() - t0 < SETTLE_NANOS) {
            int awaiting = 0;
            int waiting = 0;
            int ended = 0;
            for (String id : ids) {
                JsonObject v = api.get(id);
                last.put(id, v);
                String st = v.getString("status");
                if ("awaiting_user".equals(st)) {
                    awaiting++;
                } else if (v.getBoolean("terminal", false)) {
                    ended++;
                } else {
                    waiting++;
                }
            }
            maxWaiting = Math.max(maxWaiting, waiting);
            if (awaiting + ended == ids.size()) {
                settledAt = System.nanoTime() - t0;
                break;
            }
            Thread.sleep(500);
        }
        Map<String, Integer> outcome = new TreeMap<>();
        last.values().forEach(v -> outcome.merge(v.getString("status") + (v.getJsonObject("error") == null ? ""
            : " " + v.getJsonObject("error").getString("code")), 1, Integer::sum));

        // Memory with the logins live: the agent JVMs and, below them, the CLIs.
        long agentKib = 0;
        long cliKib = 0;
        int clis = 0;
        long aheadKib = 0;
        int ahead = 0;
        List<ProcessHandle> agents = agentsOfThisRun();
        java.util.Set<Long> ofSessions = new java.util.HashSet<>();
        java.util.Set<Integer> uids = new java.util.HashSet<>();
        Procs.sessionClis(dataDir, ids).forEach(p -> ofSessions.add(p.pid()));
        for (ProcessHandle a : agents) {
            agentKib += Procs.rssKib(a.pid());
            for (ProcessHandle c : a.descendants().toList()) {
                if (ofSessions.contains(c.pid())) {
                    cliKib += Procs.rssKib(c.pid());
                    clis++;
                    uids.add(Procs.uid(c.pid()));
                } else {
                    aheadKib += Procs.rssKib(c.pid());
                    ahead++;
                }
            }
        }
        long live = last.values().stream().filter(v -> "awaiting_user".equals(v.getString("status"))).count();

        long c0 = System.nanoTime();
        for (String id : ids) {
            api.cancel(id);
        }
        long allTerminal = 0;
        long cliGone = 0;
        while (System.nanoTime() - c0 < TimeUnit.SECONDS.toNanos(60) && (allTerminal == 0 || cliGone == 0)) {
            if (allTerminal == 0 && ids.stream().allMatch(id -> terminal(id))) {
                allTerminal = System.nanoTime() - c0;
            }
            if (cliGone == 0 && Procs.sessionClis(dataDir, ids).isEmpty()) {
                cliGone = System.nanoTime() - c0;
            }
            Thread.sleep(100);
        }
        System.out.println();
        System.out.printf("burst: %d %s sessions created in %.1f s; create answers %s%n", n, provider, created / 1e9,
            createStatus);
        System.out.printf("  settled (each showing its link or ended) after %.1f s; most waiting at once: %d; "
            + "%s%n", settledAt / 1e9, maxWaiting, startOrder(ids));
        System.out.printf("  outcome: %s%n", outcome);
        System.out.printf("  memory with %d logins live: %d agent JVM(s) %.0f MiB, %d CLI processes %.0f MiB; agent "
            + "share per login %.1f MiB, CLI share %.1f MiB%n", live, agents.size(), agentKib / 1024.0, clis,
            cliKib / 1024.0, live == 0 ? Double.NaN : agentKib / 1024.0 / live,
            live == 0 ? Double.NaN : cliKib / 1024.0 / live);
        System.out.printf("  the sessions' CLIs ran as %d distinct uid(s)%s%n", uids.size(),
            uids.contains(0) ? " (root among them)" : "");
        System.out.printf("  besides: %d processes of logins started ahead for the next clicks, %.0f MiB%n", ahead,
            aheadKib / 1024.0);
        System.out.printf("  after cancelling all: every session terminal in %.1f s, every session's CLI process gone in %.1f s%n",
            allTerminal / 1e9, cliGone / 1e9);
    }

    /**
     * Whether sessions left {@code pending} in the order they were created: from each timeline, the creation and the
     * move to {@code starting} (the database's clock); a session that started more than 50 ms before one created
     * earlier is an inversion. (Positions read one session at a time cannot show it: sessions start between reads.)
     */
    private String startOrder(List<String> ids) throws Exception {
        List<java.time.Instant[]> rows = new ArrayList<>();
        for (String id : ids) {
            java.time.Instant created = null;
            java.time.Instant started = null;
            for (Object o : api.call("GET", "/auth-sessions/" + id + "/timeline", null, ConnectBench.OPERATOR_KEY)
                    .getJsonArray("events")) {
                JsonObject e = (JsonObject) o;
                if (e.getString("kind").equals("created")) {
                    created = java.time.Instant.parse(e.getString("at"));
                } else if ("starting".equals(e.getString("toStatus")) && started == null) {
                    started = java.time.Instant.parse(e.getString("at"));
                }
            }
            if (created != null && started != null) {
                rows.add(new java.time.Instant[] {created, started});
            }
        }
        rows.sort(java.util.Comparator.comparing((java.time.Instant[] r) -> r[0]));
        int inversions = 0;
        java.time.Instant latest = java.time.Instant.MIN;
        for (java.time.Instant[] r : rows) {
            if (r[1].plusMillis(50).isBefore(latest)) {
                inversions++;
            }
            latest = r[1].isAfter(latest) ? r[1] : latest;
        }
        return "started in creation order: " + (inversions == 0 ? "yes" : "no, " + inversions + " inversions")
            + " (" + rows.size() + " sessions)";
    }

    private boolean terminal(String id) {
        try {
            return api.get(id).getBoolean("terminal", false);
        } catch (Exception e) {
            return false;
        }
    }

    private List<ProcessHandle> agentsOfThisRun() {
        return Procs.agents(dataDir);
    }
}

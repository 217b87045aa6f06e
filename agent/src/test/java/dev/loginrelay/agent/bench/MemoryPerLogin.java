package dev.loginrelay.agent.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Part 2: the agent JVM's resident memory, live threads and heap with N concurrent logins all at
 * {@code awaiting_user}, using {@code fake-paste.js} (no socket, no fixed port, no exclusive group) so N can run at
 * once. Each level gets a fresh agent JVM; only the agent process is measured, never its node children.
 */
final class MemoryPerLogin {
    static final String PROVIDER = "fake-paste-bench";

    /** One measurement of the agent process (KiB, after a full GC requested through jcmd). */
    record Sample(long rssKiB, int threads, long heapUsedKiB, long heapCommittedKiB, long childrenRssKiB,
                  long children) {
    }

    /**
     * One level: a fresh JVM measured cold (no login yet), warm (one login started and cancelled, so the classes
     * and pools a login needs exist), with {@code n} logins waiting, and after they were all cancelled.
     */
    record Level(int n, Sample cold, Sample warm, Sample loaded, Sample afterCancel, double secondsToAllWaiting) {
        double rssPerLogin() {
            return (loaded.rssKiB() - warm.rssKiB()) / (double) n;
        }

        double threadsPerLogin() {
            return (loaded.threads() - warm.threads()) / (double) n;
        }

        double heapPerLogin() {
            return (loaded.heapUsedKiB() - warm.heapUsedKiB()) / (double) n;
        }
    }

    private MemoryPerLogin() {
    }

    static Level runLevel(BenchOptions o, Path dir, int n) throws Exception {
        Path fake = o.root().resolve("agent/src/test/resources/fakecli/fake-paste.js");
        Files.writeString(AgentProcess.providersDir(dir).resolve(PROVIDER + ".json"), spec(fake).encodePrettily());
        try (AgentProcess agent = AgentProcess.start(o.jar(), dir, o.cliBin(), o.jvmArgs(), Math.max(256, n))) {
            Sample cold = sample(agent);
            List<String> warmup = List.of("warmup");
            startAll(agent, warmup);
            cancelAll(agent, warmup);
            Sample warm = sample(agent);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ids.add("m" + n + "-" + i);
            }
            long t0 = System.nanoTime();
            startAll(agent, ids);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Sample loaded = sample(agent);
            if (loaded.children() < n) {
                throw new IllegalStateException("only " + loaded.children() + " CLI processes alive for " + n
                    + " waiting logins");
            }
            cancelAll(agent, ids);
            Sample after = sample(agent);
            System.out.printf("  N=%-4d all awaiting_user after %.1f s; agent RSS %d MiB, %d threads%n", n, seconds,
                loaded.rssKiB() / 1024, loaded.threads());
            return new Level(n, cold, warm, loaded, after, seconds);
        }
    }

    /** Points {@code claude}'s paste flow at the fake, with a start timeout that survives 200 node start-ups. */
    private static JsonObject spec(Path fake) {
        return new JsonObject().put("name", PROVIDER).put("extends", "claude")
            .put("command", new JsonArray().add("node").add(fake.toString()))
            .put("detect", new JsonObject().put("authUrl",
                "https://claude\\.example\\.test/oauth/authorize\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/credentials.json"))
                .put("verifyCommand", new JsonArray().add("node").add(fake.toString()).add("status")))
            .put("timeouts", new JsonObject().put("startSeconds", 600))
            .put("versionCommand", new JsonArray().add("node").add(fake.toString()).add("--version"));
    }

    /** Starts every run, then waits until all wait for the user's code ({@code awaitingInput}). */
    private static void startAll(AgentProcess agent, List<String> ids) throws Exception {
        for (String id : ids) {
            agent.post("/api/v1/runs", new JsonObject().put("sessionId", id).put("provider", PROVIDER), 201);
        }
        Set<String> wanted = new HashSet<>(ids);
        long limitMs = 120_000 + 1000L * ids.size();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
        while (true) {
            int waiting = 0;
            for (Object o : agent.get("/api/v1/runs", 200).getJsonArray("runs")) {
                JsonObject v = (JsonObject) o;
                if (!wanted.contains(v.getString("id"))) {
                    continue;
                }
                if (v.getBoolean("terminal")) {
                    throw new IllegalStateException("run " + v.getString("id") + " ended early: " + v.encode());
                }
                if ("awaiting_user".equals(v.getString("state")) && v.getBoolean("awaitingInput")) {
                    waiting++;
                }
            }
            if (waiting == ids.size()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(waiting + " of " + ids.size() + " runs awaiting_user after "
                    + limitMs + " ms");
            }
            Thread.sleep(200);
        }
    }

    /** Cancels every run and waits until the agent has no child process left. */
    private static void cancelAll(AgentProcess agent, List<String> ids) throws Exception {
        for (String id : ids) {
            agent.post("/api/v1/runs/" + id + "/cancel", new JsonObject(), 200);
        }
        Host.await(() -> agent.descendants().isEmpty(), 120_000, "every CLI of " + ids.size()
            + " cancelled runs to exit");
    }

    private static Sample sample(AgentProcess agent) throws Exception {
        long[] heap = Host.heapAfterGc(agent.pid());
        Host.ProcStatus s = Host.status(agent.pid());
        long[] kids = Host.descendantsRssKiB(agent.pid());
        return new Sample(s.rssKiB(), s.threads(), heap[1], heap[0], kids[0], kids[1]);
    }
}

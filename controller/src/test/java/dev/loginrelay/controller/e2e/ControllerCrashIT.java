package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kill -9} of the shipped controller jar (embedded PostgreSQL, local agents) at random points, with sessions
 * being dispatched, pending and awaiting the user, {@code loginrelay.crash.rounds} times in a row (3 in the suite: on a
 * shared 2-core machine a start takes 10-60 s; {@code scripts/crash-loop.sh} runs 10). Every start must come up the
 * first time; at the end no session is lost, none is open past its deadline, and no agent process runs that no open
 * session owns, but for the warm ones the running controller counts as idle (at most {@code WARM}, its setting).
 */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class ControllerCrashIT {
    private static final Logger log = LoggerFactory.getLogger(ControllerCrashIT.class);
    private static final int ROUNDS = Integer.getInteger("loginrelay.crash.rounds", 3);
    private static final long SEED = Long.getLong("loginrelay.crash.seed", System.nanoTime());
    /** Started agents kept idle ahead of clicks (LOGINRELAY_LOCAL_WARM_AGENTS, its default). */
    private static final int WARM = 1;

    @Test
    void comesUpFirstTimeAfterEveryKillAndLosesNoSessionAndLeavesNoAgent(@TempDir Path dir) throws Exception {
        Random random = new Random(SEED);
        Map<String, String> created = new HashMap<>(); // id -> user
        List<Long> startMs = new ArrayList<>();
        try (ControllerProcess c = new ControllerProcess(dir)) {
            c.env.put("LOGINRELAY_SESSION_TTL_SECONDS", "60");
            c.env.put("LOGINRELAY_LOCAL_WARM_AGENTS", Integer.toString(WARM));
            Files.writeString(c.providers().resolve("fake-paste.json"),
                FakeCliSpecs.paste("fake-paste", new JsonObject()).encodePrettily());
            for (int round = 1; round <= ROUNDS; round++) {
                startMs.add(c.start(180)); // fails unless this start is up the first time
                int sessions = 1 + random.nextInt(3);
                for (int i = 0; i < sessions; i++) {
                    String user = "crash-" + round + "-" + i;
                    HttpResponse<String> r = c.call("POST", "/api/v1/auth-sessions", new JsonObject()
                        .put("provider", "fake-paste").put("userId", user).encode(), c.apiKey());
                    assertThat(r.statusCode()).as("create in round %d: %s", round, r.body()).isEqualTo(201);
                    created.put(new JsonObject(r.body()).getString("id"), user);
                }
                long killAfterMs = random.nextInt(2500); // 0: mid-dispatch; later: starting or awaiting the user
                Thread.sleep(killAfterMs);
                log.info("round {}: up in {} ms, {} sessions, kill -9 after {} ms", round,
                    startMs.get(startMs.size() - 1), sessions, killAfterMs);
                c.kill9();
            }
            startMs.add(c.start(180));
            awaitSettled(c, created, 30);
            log.info("crash loop seed={} rounds={} starts (ms)={} sessions={}", SEED, ROUNDS, startMs,
                created.size());
        }
    }

    /**
     * {@code kill -9} in the middle of a burst: {@code loginrelay.crash.burst} sessions (40 in the suite) created at
     * once, the controller killed while they are being admitted, dispatched and started; once it is back, none is
     * lost, none stays open past its deadline, and no agent runs that no open session or the pool owns.
     */
    @Test
    void killedInTheMiddleOfABurstLeavesNothingUnowned(@TempDir Path dir) throws Exception {
        int burst = Integer.getInteger("loginrelay.crash.burst", 40);
        Map<String, String> created = new java.util.concurrent.ConcurrentHashMap<>();
        try (ControllerProcess c = new ControllerProcess(dir)) {
            c.env.put("LOGINRELAY_SESSION_TTL_SECONDS", "60");
            c.env.put("LOGINRELAY_LOCAL_WARM_AGENTS", Integer.toString(WARM));
            c.env.put("LOGINRELAY_LOCAL_SESSIONS_PER_AGENT", "8"); // several agents, some starting at the kill
            Files.writeString(c.providers().resolve("fake-paste.json"),
                FakeCliSpecs.paste("fake-paste", new JsonObject()).encodePrettily());
            c.start(180);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
            try {
                List<java.util.concurrent.Future<?>> creates = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    String user = "burst-" + i;
                    creates.add(pool.submit(() -> {
                        HttpResponse<String> r = c.call("POST", "/api/v1/auth-sessions", new JsonObject()
                            .put("provider", "fake-paste").put("userId", user).encode(), c.apiKey());
                        assertThat(r.statusCode()).as("create %s: %s", user, r.body()).isIn(201, 429);
                        if (r.statusCode() == 201) {
                            created.put(new JsonObject(r.body()).getString("id"), user);
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : creates) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            Thread.sleep(1500); // agents starting, CLIs starting, some sessions showing their link
            log.info("burst: {} sessions created, {} agent processes at the kill", created.size(),
                c.agentProcesses().size());
            c.kill9();
            long upMs = c.start(180);
            awaitSettled(c, created, 60);
            log.info("burst of {}: up again in {} ms; settled", created.size(), upMs);
        }
    }

    /** Waits until nothing is lost, nothing open is past its deadline, and every agent running is an open session's. */
    private static void awaitSettled(ControllerProcess c, Map<String, String> created, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<String> problems = List.of();
        while (System.nanoTime() < deadline) {
            problems = problems(c, created);
            if (problems.isEmpty()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("after the last start (seed " + SEED + "): " + problems);
    }

    private static List<String> problems(ControllerProcess c, Map<String, String> created) throws Exception {
        List<String> problems = new ArrayList<>();
        Map<String, JsonObject> byId = new HashMap<>();
        c.sessions().forEach(s -> byId.put(s.getString("id"), s));
        Set<String> owners = new HashSet<>();
        Instant now = Instant.now();
        for (String id : created.keySet()) {
            JsonObject s = byId.get(id);
            if (s == null) {
                problems.add("session " + id + " lost");
                continue;
            }
            boolean open = !s.getBoolean("terminal");
            if (open && Instant.parse(s.getString("deadlineAt")).isBefore(now.minusSeconds(2))) {
                problems.add("session " + id + " still " + s.getString("status") + " past its deadline");
            }
            if (open && s.getString("agentId") != null) {
                owners.add(s.getString("agentId"));
            }
        }
        Map<String, Long> unowned = new HashMap<>(c.agentProcesses());
        unowned.keySet().removeAll(owners);
        // An agent kept warm serves no session by design; one left over from a killed controller is counted by none.
        int idle = idleAgents(c);
        if (unowned.size() > Math.min(idle, WARM)) {
            problems.add("agents " + unowned + " run but no open session owns them, and the controller keeps "
                + idle + " idle (at most " + WARM + ")");
        }
        return problems;
    }

    /** {@code loginrelay_pool_agents{state="idle"}} from the controller's /metrics. */
    private static int idleAgents(ControllerProcess c) throws Exception {
        for (String line : c.call("GET", "/metrics", null, null).body().split("\n")) {
            if (line.startsWith("loginrelay_pool_agents{") && line.contains("state=\"idle\"")) {
                return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no loginrelay_pool_agents{state=\"idle\"} in /metrics");
    }
}

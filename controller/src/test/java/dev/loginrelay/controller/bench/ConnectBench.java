package dev.loginrelay.controller.bench;

import dev.loginrelay.controller.Backends;
import dev.loginrelay.controller.Controller;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.vm.VmPool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a user waits for after clicking Connect, through the whole system, next to the bare CLI in the same run:
 * <ol>
 *   <li><b>click to link</b>: {@code POST /api/v1/auth-sessions} until the session's view carries the auth URL,
 *   against {@code script -q -c '<the CLI's login>'} until the same URL is on its terminal, alternating pairs;</li>
 *   <li><b>burst</b>: N sessions created at once; how many failed, when all showed their link or waited in order,
 *   and after cancelling all, when every CLI process was gone;</li>
 *   <li><b>memory</b>: with the burst's logins live, the RSS of the agent JVMs against the CLIs' own.</li>
 * </ol>
 * Usage: {@code ConnectBench <cliBinDir> [pairs=10] [providers=codex,claude] [burst=100] [burstProvider=claude]}.
 * The controller runs with its defaults (local pool, warm shared agents); everything listens on 127.0.0.1 and every
 * loop is bounded. Prints markdown tables (see docs/benchmarks.md).
 */
public final class ConnectBench {
    private static final String API_KEY = "bench-api-key-000000000000000000";
    static final String OPERATOR_KEY = "bench-operator-x";

    private ConnectBench() {
    }

    public static void main(String[] args) throws Exception {
        int status = 0;
        try {
            run(args);
        } catch (Exception | Error e) {
            e.printStackTrace();
            status = 1;
        } finally {
            System.exit(status); // bounded: nothing lingers after the tables (or after a failure)
        }
    }

    private static void run(String[] args) throws Exception {
        Path cliBin = Path.of(args[0]).toAbsolutePath();
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<String> providers = List.of((args.length > 2 ? args[2] : "codex,claude").split(","));
        int burst = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        String burstProvider = args.length > 4 ? args[4] : "claude";
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("user.dir")), "connect-bench");
        // As a data dir the controller makes (0755 by the umask): passable for the per-login Unix users an agent
        // running as root makes by default (a 0700 temp dir would turn them off and measure something else).
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            Map<String, String> env = new HashMap<>(Map.of("LOGINRELAY_HTTP_PORT", "0",
                "LOGINRELAY_DATA_DIR", dir.resolve("data").toString(),
                "LOGINRELAY_CLI_PATH", cliBin.toString(),
                "LOGINRELAY_AGENT_JAR", Path.of("agent/target/loginrelay-agent.jar").toAbsolutePath().toString(),
                "LOGINRELAY_SESSION_TTL_SECONDS", "900"));
            // Other settings to compare (e.g. LOGINRELAY_LOCAL_PRESTART=none) from the bench's own environment.
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("LOGINRELAY_LOCAL_") || k.startsWith("LOGINRELAY_MAX_")) {
                    env.put(k, v);
                }
            });
            String jdbc = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
            ControllerConfig config = ControllerConfig.fromEnv(env).withDatabase(jdbc, "postgres", null)
                .withSecrets(Secret.of(API_KEY), Secret.of(OPERATOR_KEY));
            Vertx vertx = Vertx.vertx();
            AgentClient agents = new AgentClient(vertx);
            VmPool vms = Backends.create(vertx, config, env, agents);
            Controller controller = Controller.deploy(vertx, config, vms, agents).toCompletionStage()
                .toCompletableFuture().get(120, TimeUnit.SECONDS);
            Api api = new Api(controller.port());
            System.out.printf("machine: %d cores, load %.1f, %s%n", Runtime.getRuntime().availableProcessors(),
                Procs.loadAverage(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            api.awaitWarm(Duration.ofSeconds(60));
            if (!"none".equals(env.get("LOGINRELAY_LOCAL_PRESTART"))) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // the agent's logins ahead start 1 s in
                while (System.nanoTime() < until && Procs.agents(dir.resolve("data")).stream()
                    .allMatch(a -> a.children().findAny().isEmpty())) {
                    Thread.sleep(100);
                }
            }
            api.settle(dir.resolve("data"));
            System.out.println("agents: " + agentMode(dir.resolve("data")) + "; settings: " + env.entrySet().stream()
                .filter(e -> e.getKey().startsWith("LOGINRELAY_LOCAL_") || e.getKey().startsWith("LOGINRELAY_MAX_"))
                .map(e -> e.getKey() + "=" + e.getValue()).sorted().toList());
            String netns = ScriptCli.ownNetns();
            ScriptCli bare = new ScriptCli(dir.resolve("bare"), cliBin, netns);
            api.ownLoopbackForBare = netns != null;
            if (netns != null) {
                System.out.printf("bare CLI in network namespace %s (its own loopback and port 1455; `ip netns exec` "
                    + "adds %.1f ms median to a program's start)%n", netns, ScriptCli.netnsOverheadMs(netns));
            } else {
                System.out.println("bare CLI on the host's loopback (not root: no network namespace)");
            }
            Map<String, Map<String, List<Long>>> phases = new java.util.LinkedHashMap<>();
            System.out.println();
            System.out.println("| provider | pairs | through LoginRelay median ms | bare CLI median ms | ratio | "
                + "LoginRelay p90 | bare p90 |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (String provider : providers) {
                api.clickToLink(provider, "warmup-" + provider); // first login of a CLI pays its disk cache
                bare.timeToUrl(provider);
                List<Long> through = new ArrayList<>();
                List<Long> direct = new ArrayList<>();
                api.clicked.clear();
                for (int i = 0; i < pairs; i++) {
                    // Each side starts on a machine at rest: the previous login's CLI gone, port 1455 free, and
                    // (where the agent starts logins ahead) the next one ready, as between two users' clicks.
                    if (i % 2 == 0) {
                        api.settle(dir.resolve("data"));
                        through.add(api.clickToLink(provider, "pair-" + provider + "-" + i));
                        api.settle(dir.resolve("data"));
                        direct.add(bare.timeToUrl(provider));
                    } else {
                        api.settle(dir.resolve("data"));
                        direct.add(bare.timeToUrl(provider));
                        api.settle(dir.resolve("data"));
                        through.add(api.clickToLink(provider, "pair-" + provider + "-" + i));
                    }
                }
                double t = Stats.percentileMs(through, 50);
                double d = Stats.percentileMs(direct, 50);
                System.out.printf("| %s | %d | %.0f | %.0f | %.2f | %.0f | %.0f |%n", provider, pairs, t, d, t / d,
                    Stats.percentileMs(through, 90), Stats.percentileMs(direct, 90));
                phases.put(provider, api.phases());
            }
            System.out.println();
            System.out.println("Where the time goes through LoginRelay: median ms from the session's creation to the first "
                + "event of each kind, up to the link (negative: before the click, in a login started ahead); `seen` is "
                + "the client's read.");
            phases.forEach((provider, table) -> {
                System.out.println();
                System.out.println("| " + provider + " | median ms | p90 ms | sessions |");
                System.out.println("|---|---|---|---|");
                table.forEach((kind, offsets) -> System.out.printf("| %s | %.0f | %.0f | %d |%n", kind,
                    Stats.percentileMs(offsets, 50), Stats.percentileMs(offsets, 90), offsets.size()));
            });
            // Restart with unchanged pins, the database up: what an operator's rolling restart costs.
            ScriptCli.deleteNetns(netns);
            vms.close(); // first: a closed pool starts no more warm agents on a closing Vert.x
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            long r0 = System.nanoTime();
            vertx = Vertx.vertx();
            agents = new AgentClient(vertx);
            vms = Backends.create(vertx, config, env, agents);
            controller = Controller.deploy(vertx, config, vms, agents).toCompletionStage().toCompletableFuture()
                .get(120, TimeUnit.SECONDS);
            System.out.println();
            System.out.printf("Controller restart (same data dir and pins, database up): listening after %d ms%n",
                (System.nanoTime() - r0) / 1_000_000);
            api = new Api(controller.port());
            if (burst > 0) {
                api.awaitWarm(Duration.ofSeconds(60));
                new Burst(api, burstProvider, burst, dir.resolve("data")).run();
            }
            vms.close(); // first: a closed pool starts no more warm agents on a closing Vert.x
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** Whose user the CLIs under the agents run as (the logins started ahead show it), and how many run. */
    private static String agentMode(Path dataDir) {
        java.util.Set<Integer> uids = new java.util.TreeSet<>();
        int clis = 0;
        for (ProcessHandle a : Procs.agents(dataDir)) {
            for (ProcessHandle c : a.children().toList()) {
                clis++;
                uids.add(Procs.uid(c.pid()));
            }
        }
        return clis + " CLIs started ahead, as uids " + uids;
    }

    /** The public API as the product's backend calls it. */
    static final class Api {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final String base;
        /** The sessions of this provider's pairs: id → nanoTime of the create and of the read that showed the link. */
        final Map<String, long[]> clicked = new java.util.LinkedHashMap<>();
        /** The bare CLI runs on a loopback of its own: port 1455 here is the agents' alone. */
        boolean ownLoopbackForBare;

        Api(int port) {
            this.base = "http://127.0.0.1:" + port + "/api/v1";
        }

        JsonObject call(String method, String path, JsonObject body) throws IOException, InterruptedException {
            return call(method, path, body, API_KEY);
        }

        JsonObject call(String method, String path, JsonObject body, String key)
            throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.encode()));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonObject json = r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
            return json.put("httpStatus", r.statusCode());
        }

        JsonObject create(String provider, String user) throws IOException, InterruptedException {
            return call("POST", "/auth-sessions", new JsonObject().put("provider", provider).put("userId", user));
        }

        JsonObject get(String id) throws IOException, InterruptedException {
            return call("GET", "/auth-sessions/" + id, null);
        }

        void cancel(String id) throws IOException, InterruptedException {
            call("POST", "/auth-sessions/" + id + "/cancel", null);
        }

        /** ms from just before the create until a read of the session shows its auth URL (polled every 5 ms). */
        long clickToLink(String provider, String user) throws IOException, InterruptedException {
            long t0 = System.nanoTime();
            JsonObject created = create(provider, user);
            if (created.getInteger("httpStatus") != 201) {
                throw new IllegalStateException("create " + provider + " answered " + created.encode());
            }
            String id = created.getString("id");
            long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                JsonObject v = get(id);
                if (v.getString("authUrl") != null || v.getString("userCode") != null) {
                    long seen = System.nanoTime();
                    long ms = seen - t0;
                    clicked.put(id, new long[] {t0, seen});
                    cancel(id);
                    return ms;
                }
                if (v.getBoolean("terminal", false) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("session " + id + " never showed a link: " + v.encode());
                }
                Thread.sleep(5);
            }
        }

        /**
         * Waits (at most 15 s) until no CLI of a clicked session runs, every login started ahead shows its link
         * (one refills in the background after a click), 127.0.0.1:1455 is free unless the bare CLI has a loopback
         * of its own, and all of that has held for 300 ms.
         */
        void settle(Path dataDir) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            long quietSince = 0;
            while (System.nanoTime() < deadline) {
                boolean quiet = Procs.sessionClis(dataDir, clicked.keySet()).isEmpty()
                    && (ownLoopbackForBare || Procs.portFree(1455)) && aheadReady(dataDir);
                long now = System.nanoTime();
                if (!quiet) {
                    quietSince = 0;
                } else if (quietSince == 0) {
                    quietSince = now;
                } else if (now - quietSince >= TimeUnit.MILLISECONDS.toNanos(300)) {
                    return;
                }
                Thread.sleep(20);
            }
            System.out.println("(the machine did not settle within 15 s between runs)");
        }

        /** Every live agent's logins started ahead (if any) show their link: the state between two clicks. */
        private boolean aheadReady(Path dataDir) {
            try (var dirs = Files.list(dataDir.resolve("agents"))) {
                for (Path a : dirs.toList()) {
                    if (!Files.exists(a.resolve("port")) || !Files.exists(a.resolve("agent.token"))) {
                        continue;
                    }
                    HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + Files.readString(a.resolve("port")).strip() + "/health"))
                        .header("Authorization", "Bearer " + Files.readString(a.resolve("agent.token")).strip())
                        .timeout(Duration.ofSeconds(2)).build();
                    JsonObject ahead;
                    try {
                        ahead = new JsonObject(http.send(health, HttpResponse.BodyHandlers.ofString()).body())
                            .getJsonObject("startedAhead");
                    } catch (IOException e) {
                        continue; // a stopped agent's dir
                    }
                    if (ahead != null && ahead.stream().anyMatch(e -> !"awaiting_user".equals(e.getValue()))) {
                        return false;
                    }
                }
                return true;
            } catch (IOException | InterruptedException e) {
                return true;
            }
        }

        /**
         * Per timeline event kind, the offsets (ns) from each clicked session's creation to the kind's first
         * occurrence up to the link (negative: before the click, in a login started ahead), ordered by median; plus {@code seen (client)}, the create-to-read time.
         */
        Map<String, List<Long>> phases() throws IOException, InterruptedException {
            Map<String, List<Long>> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, long[]> c : clicked.entrySet()) {
                io.vertx.core.json.JsonArray events = call("GET", "/auth-sessions/" + c.getKey() + "/timeline", null,
                    OPERATOR_KEY).getJsonArray("events");
                java.time.Instant first = events.stream().map(o -> (JsonObject) o)
                    .filter(e -> e.getString("kind").equals("created")).map(e -> java.time.Instant.parse(e.getString("at")))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no created event: " + events));
                java.util.Set<String> seenKinds = new java.util.HashSet<>();
                for (Object o : events) {
                    JsonObject e = (JsonObject) o;
                    java.time.Instant at = java.time.Instant.parse(e.getString("at"));
                    String kind = e.getString("kind") + (e.getString("toStatus") == null ? "" : "→" + e.getString("toStatus"));
                    if (seenKinds.add(kind)) {
                        long off = Duration.between(first, at).toNanos();
                        out.computeIfAbsent(kind, k -> new ArrayList<>()).add(off);
                    }
                    if (kind.startsWith("auth_url_ready") || kind.startsWith("device_code_ready")) {
                        break;
                    }
                }
                out.computeIfAbsent("seen (client)", k -> new ArrayList<>()).add(c.getValue()[1] - c.getValue()[0]);
            }
            Map<String, List<Long>> sorted = new java.util.LinkedHashMap<>();
            out.entrySet().stream().sorted(java.util.Comparator.comparingDouble(
                    (Map.Entry<String, List<Long>> e) -> Stats.percentileMs(e.getValue(), 50)))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }

        /** Waits until the pool has an agent started ahead (the state a controller is in between clicks). */
        void awaitWarm(Duration within) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            HttpRequest metrics = HttpRequest.newBuilder(URI.create(base.replace("/api/v1", "") + "/metrics")).build();
            while (System.nanoTime() < deadline) {
                String body = http.send(metrics, HttpResponse.BodyHandlers.ofString()).body();
                if (body.lines().anyMatch(l -> l.startsWith("loginrelay_pool_agents{state=\"idle\"}")
                    && !l.endsWith(" 0.0"))) {
                    return;
                }
                Thread.sleep(100);
            }
            System.out.println("(no warm agent within " + within.toSeconds() + " s: measuring cold starts)");
        }
    }
}

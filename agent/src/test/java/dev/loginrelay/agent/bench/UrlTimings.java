package dev.loginrelay.agent.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Part 1: time from "start the login" to "the auth URL is in hand" for the real pinned codex, (A) through a real agent
 * JVM over HTTP and (B) directly under {@code script}, alternating A, B, A, B so machine noise hits both alike.
 * Between runs the CLI's process tree is gone, 127.0.0.1:1455 is free and the agent's host lock is released, so no
 * run waits for the one before it.
 */
final class UrlTimings {
    static final String PROVIDER = "codex-offline";
    private static final int CODEX_PORT = 1455;
    private static final String LOCK_GROUP = "codex-loopback-1455";
    private static final Pattern WHOLE_URL = Pattern.compile(
        "https://auth\\.openai\\.com/oauth/authorize\\?" + ScriptCodex.URL_CLASS + "+");
    private static final String REDIRECT_1455 = "redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback";

    /**
     * One measured run: the milliseconds, the URL read, whether the agent run had to queue for the lock, and for
     * agent runs two spans of the agent's own event clock: {@code started → cli_started} (lock, HOME, worker hop)
     * and {@code cli_started → auth_url_ready} (PTY spawn, the CLI until it prints the URL, the scan, the hop back).
     */
    record Sample(double ms, String url, boolean queued, double setupMs, double cliMs) {
    }

    /** Both sides' samples in run order (warm-up runs excluded) and the URL length seen. */
    record Result(List<Double> agentMs, List<Double> scriptMs, List<Double> setupMs, List<Double> cliMs,
                  int urlLength, int queuedRuns) {
        Stats agent() {
            return Stats.of(agentMs);
        }

        Stats setup() {
            return Stats.of(setupMs);
        }

        Stats cli() {
            return Stats.of(cliMs);
        }

        Stats script() {
            return Stats.of(scriptMs);
        }
    }

    private UrlTimings() {
    }

    static Result run(BenchOptions o, Path dir) throws Exception {
        Path providers = AgentProcess.providersDir(dir.resolve("agent"));
        JsonObject env = new JsonObject();
        ScriptCodex.offlineCodexEnv("${HOME}/.codex").forEach(env::put);
        Files.writeString(providers.resolve(PROVIDER + ".json"),
            new JsonObject().put("name", PROVIDER).put("extends", "codex").put("env", env).encodePrettily());
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        List<Double> setup = new ArrayList<>();
        List<Double> cli = new ArrayList<>();
        int urlLength = -1;
        int queued = 0;
        try (AgentProcess agent = AgentProcess.start(o.jar(), dir.resolve("agent"), o.cliBin(), o.jvmArgs(), 256);
             ScriptCodex script = new ScriptCodex(dir.resolve("script-sessions"), o.cliBin())) {
            Path lockFile = dir.resolve("agent").resolve("locks").resolve(LOCK_GROUP + ".lock");
            for (int i = 0; i < o.warmup() + o.runs(); i++) {
                boolean measured = i >= o.warmup();
                String tag = (measured ? "run-" : "warmup-") + i;
                awaitIdle(agent, lockFile);
                Sample sa = throughAgent(agent, "a-" + tag);
                awaitIdle(agent, lockFile);
                Sample sb = script.once("b-" + tag);
                urlLength = check(sa.url(), urlLength, "agent " + tag);
                urlLength = check(sb.url(), urlLength, "script " + tag);
                System.out.printf("  %-10s agent %8s ms   script %8s ms%s%n", tag, Stats.ms(sa.ms()),
                    Stats.ms(sb.ms()), sa.queued() ? "   (agent run queued!)" : "");
                if (measured) {
                    a.add(sa.ms());
                    b.add(sb.ms());
                    setup.add(sa.setupMs());
                    cli.add(sa.cliMs());
                    queued += sa.queued() ? 1 : 0;
                }
            }
            awaitIdle(agent, lockFile);
        }
        return new Result(a, b, setup, cli, urlLength, queued);
    }

    /** POST the run, long-poll its events until {@code auth_url_ready} carries the URL; then cancel it. */
    private static Sample throughAgent(AgentProcess agent, String id) throws Exception {
        long t0 = System.nanoTime();
        agent.post("/api/v1/runs", new JsonObject().put("sessionId", id).put("provider", PROVIDER), 201);
        long after = 0;
        String url = null;
        boolean queued = false;
        Map<String, Instant> at = new HashMap<>();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (url == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("agent run " + id + ": no auth URL in 60 s");
            }
            JsonObject page = agent.get("/api/v1/runs/" + id + "/events?after=" + after + "&waitMs=10000", 200);
            for (Object o : page.getJsonArray("events", new JsonArray())) {
                JsonObject e = (JsonObject) o;
                after = Math.max(after, e.getLong("seq"));
                queued |= "queued".equals(e.getString("kind"));
                at.putIfAbsent(e.getString("kind"), Instant.parse(e.getString("at")));
                if ("auth_url_ready".equals(e.getString("kind"))) {
                    url = e.getJsonObject("detail").getString("authUrl");
                }
            }
            if (url == null && page.getBoolean("terminal", false)) {
                throw new IllegalStateException("agent run " + id + " ended without a URL: "
                    + agent.get("/api/v1/runs/" + id, 200).encode());
            }
        }
        long t1 = System.nanoTime();
        agent.post("/api/v1/runs/" + id + "/cancel", new JsonObject(), 200);
        Host.await(() -> terminal(agent, id), 30_000, "run " + id + " to be terminal after cancel");
        return new Sample((t1 - t0) / 1e6, url, queued, span(at, "started", "cli_started"),
            span(at, "cli_started", "auth_url_ready"));
    }

    private static double span(Map<String, Instant> at, String from, String to) {
        Duration d = Duration.between(at.get(from), at.get(to));
        return d.toNanos() / 1e6;
    }

    private static boolean terminal(AgentProcess agent, String id) {
        try {
            return agent.get("/api/v1/runs/" + id, 200).getBoolean("terminal");
        } catch (IOException e) {
            throw new IllegalStateException("agent unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** No CLI under the agent, nothing on 127.0.0.1:1455, and the agent's codex host lock free. */
    private static void awaitIdle(AgentProcess agent, Path lockFile) throws InterruptedException {
        Host.await(() -> agent.descendants().isEmpty() && Host.loopbackPortFree(CODEX_PORT) && lockFree(lockFile),
            30_000, "codex to be gone, 127.0.0.1:" + CODEX_PORT + " free and " + lockFile + " unlocked");
    }

    private static boolean lockFree(Path lockFile) {
        if (!Files.exists(lockFile)) {
            return true;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return false;
            }
            l.release();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Both sides must read the same URL shape: the strict class to the end, redirect to 127.0.0.1:1455. */
    private static int check(String url, int expectedLength, String what) {
        if (!WHOLE_URL.matcher(url).matches() || !url.contains(REDIRECT_1455)) {
            throw new IllegalStateException(what + ": unexpected auth URL shape (length " + url.length() + ")");
        }
        if (expectedLength >= 0 && url.length() != expectedLength) {
            throw new IllegalStateException(what + ": URL length " + url.length() + " differs from " + expectedLength);
        }
        return url.length();
    }
}

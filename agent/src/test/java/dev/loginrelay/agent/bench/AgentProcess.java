package dev.loginrelay.agent.bench;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real agent as a separate JVM ({@code java -jar loginrelay-agent.jar --port 0 --port-file F ...}), driven over
 * loopback HTTP the way the controller drives it. Its output goes to {@code agent.log} in its directory.
 */
final class AgentProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    final Path dir;
    private final Process process;
    private final String base;
    private final String token;

    private AgentProcess(Path dir, Process process, int port, String token) {
        this.dir = dir;
        this.process = process;
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    /** The providers dir to write operator specs into before {@link #start}. */
    static Path providersDir(Path dir) throws IOException {
        return Files.createDirectories(dir.resolve("providers"));
    }

    /** Starts the agent and waits (up to 60 s) until its port file says it is listening. */
    static AgentProcess start(Path jar, Path dir, Path cliBin, List<String> jvmArgs, int maxRuns) throws Exception {
        Path portFile = dir.resolve("agent.port");
        Files.deleteIfExists(portFile);
        Path work = dir.resolve("work");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-jar", jar.toString(), "--port", "0", "--port-file", portFile.toString(),
            "--work-dir", work.toString(), "--providers-dir", providersDir(dir).toString(),
            "--lock-dir", dir.resolve("locks").toString(), "--cli-path", cliBin.toString(),
            "--max-runs", Integer.toString(maxRuns)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LOGINRELAY_AGENT_"));
        Process p = pb.start();
        p.getOutputStream().close();
        try {
            int port = awaitPort(p, portFile, dir.resolve("agent.log"));
            return new AgentProcess(dir, p, port, Files.readString(work.resolve("agent.token")).strip());
        } catch (Exception e) {
            Host.killTree(p.toHandle(), 5000);
            throw e;
        }
    }

    private static int awaitPort(Process p, Path portFile, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("agent exited with " + p.exitValue() + " before listening; see " + log);
            }
            if (Files.exists(portFile)) {
                String s = Files.readString(portFile).strip();
                if (!s.isEmpty()) {
                    return Integer.parseInt(s);
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("agent did not write " + portFile + " in 60 s; see " + log);
    }

    long pid() {
        return process.pid();
    }

    /** The agent's live child processes (the CLIs and whatever they started). */
    List<ProcessHandle> descendants() {
        return process.toHandle().descendants().toList();
    }

    JsonObject get(String path, int expect) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), expect);
    }

    JsonObject post(String path, JsonObject body, int expect) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())), expect);
    }

    private JsonObject send(HttpRequest.Builder b, int expect) throws IOException, InterruptedException {
        HttpRequest req = b.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(90)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expect) {
            throw new IllegalStateException(req.method() + " " + req.uri().getPath() + " answered " + r.statusCode()
                + ", expected " + expect + ": " + r.body());
        }
        return new JsonObject(r.body());
    }

    /** SIGTERM (the agent's shutdown hook cancels live runs), then SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            Host.killTree(process.toHandle(), 2000);
        }
    }
}

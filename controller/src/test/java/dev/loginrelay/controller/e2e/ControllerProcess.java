package dev.loginrelay.controller.e2e;

import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * The shipped controller jar as a real process ({@code java -jar controller/target/loginrelay-controller.jar}) with
 * embedded defaults over its own data dir, to be killed and started again as an operator's host would. {@link #close}
 * stops it and every process left under its dir (agents, PostgreSQL), so a failed test leaves nothing running.
 */
final class ControllerProcess implements AutoCloseable {
    static final Path JAR = ControllerFixture.REPO.resolve("controller/target/loginrelay-controller.jar");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final Path dir;
    final Path data;
    final int port;
    final Map<String, String> env = new HashMap<>();
    private Process process;
    private int starts;

    ControllerProcess(Path dir) throws IOException {
        this.dir = dir;
        this.data = dir.resolve("data");
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        Path providers = Files.createDirectories(dir.resolve("providers"));
        Path noClis = Files.createDirectories(dir.resolve("no-clis")); // the doctor finds only the fake CLIs
        env.put("LOGINRELAY_HTTP_PORT", Integer.toString(port));
        env.put("LOGINRELAY_DATA_DIR", data.toString());
        env.put("LOGINRELAY_AGENT_JAR", ControllerFixture.REPO.resolve("agent/target/loginrelay-agent.jar").toString());
        env.put("LOGINRELAY_CLI_PATH", noClis.toString());
        env.put("LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString());
        env.put("LOGINRELAY_SWEEP_INTERVAL_MS", "200");
        env.put("LOGINRELAY_AGENT_LOST_SECONDS", "3");
    }

    Path providers() {
        return dir.resolve("providers");
    }

    /** Starts the jar and waits for /health; fails if the process exits first or is not up in time. */
    long start(int seconds) throws Exception {
        long t0 = System.nanoTime();
        starts++;
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
            JAR.toString()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("controller-" + starts + ".log").toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("start " + starts + " exited with " + process.exitValue() + ": "
                    + tail(dir.resolve("controller-" + starts + ".log")));
            }
            try {
                if (call("GET", "/health", null, null).statusCode() == 200) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("start " + starts + " did not answer /health within " + seconds + " s: "
            + tail(dir.resolve("controller-" + starts + ".log")));
    }

    /** SIGKILL: no shutdown hook runs, as in a crash. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String apiKey() throws IOException {
        return Files.readString(data.resolve("api-key")).strip();
    }

    String operatorToken() throws IOException {
        return Files.readString(data.resolve("operator-token")).strip();
    }

    HttpResponse<String> call(String method, String path, String body, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(20));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every session, as the operator sees it (agentId, deadlineAt). */
    List<JsonObject> sessions() throws Exception {
        JsonArray a = new JsonObject(call("GET", "/api/v1/auth-sessions?limit=1000", null, operatorToken()).body())
            .getJsonArray("sessions");
        List<JsonObject> out = new ArrayList<>();
        a.forEach(o -> out.add((JsonObject) o));
        return out;
    }

    /** Agent processes running over this data dir: agent id → pid. */
    Map<String, Long> agentProcesses() {
        Path agents = data.resolve("agents").toAbsolutePath().normalize();
        Map<String, Long> out = new HashMap<>();
        ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).forEach(ph -> {
            String[] args = ph.info().arguments().orElse(new String[0]);
            for (int i = 0; i + 1 < args.length; i++) {
                if (args[i].equals("--work-dir") && Path.of(args[i + 1]).toAbsolutePath().normalize().getParent()
                    .equals(agents)) {
                    out.put(Path.of(args[i + 1]).getFileName().toString(), ph.pid());
                }
            }
        });
        return out;
    }

    static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** SIGTERM to the controller, then SIGKILL to anything still running from this dir (agents, CLIs, postgres). */
    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        String mark = dir.toAbsolutePath().toString();
        ProcessHandle.allProcesses().filter(ph -> ph.info().commandLine().orElse("").contains(mark))
            .forEach(ProcessHandle::destroyForcibly);
    }
}

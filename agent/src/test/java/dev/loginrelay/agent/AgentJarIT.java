package dev.loginrelay.agent;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped jar as a user runs it: {@code java -jar target/loginrelay-agent.jar} in a separate process with a
 * minimal environment, an operator providers dir holding a fake codex-like spec, and port 0 + a port file. Run by
 * failsafe after {@code package}. The methods are ordered because they share that one process: the fourth stops it
 * with SIGTERM and checks that the CLI of a login still in progress went with it; the last reads its complete log.
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentJarIT {
    private static final Path JAR = Path.of(System.getProperty("loginrelay.agent.jar", "target/loginrelay-agent.jar"))
        .toAbsolutePath();
    private static final Path CLI_BIN = Path.of(System.getProperty("loginrelay.clis.dir", "../.clis"))
        .resolve("node_modules/.bin").toAbsolutePath();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String PROVIDER = "fake-jar";
    /** The OAuth code the fake "browser" hands back; like every callback value it must never reach a log. */
    private static final String CODE = "jar-code-7f3a9c";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    /** A copy of fake-loopback.js at a path no other test uses, so its processes can be told apart by command line. */
    static Path script;
    static Path providers;
    static Process agent;
    static Path agentOut;
    static Path agentErr;
    static String token;
    static int port;

    @BeforeAll
    static void startTheJar() throws Exception {
        assertThat(JAR).as("the shaded jar (mvn package)").isRegularFile();
        script = Files.createDirectories(dir.resolve("fakecli")).resolve("fake-loopback.js");
        Files.copy(Path.of("src/test/resources/fakecli/fake-loopback.js"), script);
        providers = Files.createDirectories(dir.resolve("providers"));
        Files.writeString(providers.resolve(PROVIDER + ".json"), fakeSpec().encodePrettily());
        Path portFile = dir.resolve("agent.port");
        agentOut = dir.resolve("agent.stdout");
        agentErr = dir.resolve("agent.stderr");
        agent = minimalEnv(new ProcessBuilder(JAVA, "-jar", JAR.toString(), "--port", "0", "--port-file",
            portFile.toString(), "--work-dir", dir.resolve("work").toString(), "--providers-dir", providers.toString(),
            "--lock-dir", dir.resolve("locks").toString()))
            .redirectOutput(agentOut.toFile()).redirectError(agentErr.toFile()).start();
        awaitTrue(() -> Files.exists(portFile) && !read(portFile).isBlank(), 60, "the port file");
        port = Integer.parseInt(read(portFile).strip());
        token = read(dir.resolve("work/agent.token")).strip();
    }

    @AfterAll
    static void stopEverything() {
        if (agent != null && agent.isAlive()) {
            agent.destroyForcibly();
        }
        fakeCliProcesses().forEach(ProcessHandle::destroyForcibly);
    }

    /** The codex spec with the fake CLI in place of codex: shipped relay, failure and success rules. */
    private static JsonObject fakeSpec() {
        return new JsonObject().put("name", PROVIDER).put("extends", "codex").put("testedVersion", "1.0.0")
            .put("command", node("login"))
            .put("detect", new JsonObject()
                .put("authUrl", "https://auth\\.example\\.test/oauth/authorize\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/auth.json"))
                .put("verifyCommand", node("login", "status"))
                .put("identity", new JsonObject().put("source", "file").put("file", ".fakecli/auth.json")))
            .put("exclusive", PROVIDER + "-port")
            .put("versionCommand", node("--version"));
    }

    private static JsonArray node(String... args) {
        JsonArray a = new JsonArray().add("node").add(script.toString());
        for (String s : args) {
            a.add(s);
        }
        return a;
    }

    /** What a service manager gives a process: no inherited variables, so the jar cannot lean on the build's. */
    private static ProcessBuilder minimalEnv(ProcessBuilder pb) throws IOException {
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", Files.createDirectories(dir.resolve("user-home")).toString());
        env.put("LANG", "C.UTF-8");
        return pb;
    }

    @Test
    @Order(1)
    void servesHealthWithoutTheTokenAndRefusesTheApiWithoutIt() throws Exception {
        HttpResponse<String> health = get("/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(health.body()).getString("status")).isEqualTo("ok");
        assertThat(new JsonObject(health.body()).getString("version")).as("from the jar manifest").isNotEqualTo("dev");

        HttpResponse<String> anonymous = get("/api/v1/runs", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/runs", "not-" + token).statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/runs", token).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void doctorFindsThePtyTheFakeCliAndThePinnedClis() throws Exception {
        assertThat(CLI_BIN.resolve("codex")).as("run scripts/install-clis.sh").isExecutable();
        Path out = dir.resolve("doctor.stdout");
        Process doctor = minimalEnv(new ProcessBuilder(JAVA, "-jar", JAR.toString(), "doctor", "--work-dir",
            dir.resolve("doctor-work").toString(), "--providers-dir", providers.toString(), "--cli-path",
            CLI_BIN.toString()))
            .redirectOutput(out.toFile()).redirectError(dir.resolve("doctor.stderr").toFile()).start();
        assertThat(doctor.waitFor(120, TimeUnit.SECONDS)).as("doctor finished").isTrue();
        JsonObject report = new JsonObject(read(out));
        assertThat(doctor.exitValue()).as(report.encodePrettily()).isZero();
        assertThat(report.getBoolean("ok")).isTrue();
        assertThat(report.getJsonObject("pty").getBoolean("ok")).isTrue();
        for (String name : List.of("codex", "codex-device", "claude", "gemini", "copilot", PROVIDER)) {
            JsonObject p = provider(report, name);
            assertThat(p.getBoolean("found")).as(p.encode()).isTrue();
            assertThat(p.getBoolean("versionMatches")).as(p.encode()).isTrue();
        }
        assertThat(provider(report, "codex").getString("path")).startsWith(CLI_BIN.toString());
        assertThat(provider(report, "qwen").getBoolean("supported")).isFalse();
    }

    private static JsonObject provider(JsonObject report, String name) {
        return report.getJsonArray("providers").stream().map(JsonObject.class::cast)
            .filter(p -> name.equals(p.getString("name"))).findFirst()
            .orElseThrow(() -> new AssertionError("no provider " + name + " in " + report.encode()));
    }

    @Test
    @Order(3)
    void completesAFakeLoopbackLoginOverHttp() throws Exception {
        JsonObject waiting = startAndAwaitUser("jar-1");
        String callback = FakeBrowser.callbackFor(waiting.getString("authUrl"), "code=" + CODE + "&state={state}");
        HttpResponse<String> relayed = post("/api/v1/runs/jar-1/callback", new JsonObject().put("url", callback));
        assertThat(relayed.statusCode()).as(relayed.body()).isEqualTo(202);

        JsonObject ready = awaitRun("jar-1", v -> v.getBoolean("terminal"), 30);
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        assertThat(ready.getInteger("exitCode")).isZero();
    }

    @Test
    @Order(4)
    void sigtermStopsTheAgentAndTheCliOfALoginInProgress() throws Exception {
        startAndAwaitUser("jar-2");
        List<ProcessHandle> clis = agent.toHandle().descendants().filter(AgentJarIT::isFakeCli).toList();
        assertThat(clis).as("the fake CLI of jar-2, a child of the agent").hasSize(1);
        long cliPid = clis.get(0).pid();

        long start = System.nanoTime();
        agent.destroy(); // SIGTERM
        assertThat(agent.waitFor(10, TimeUnit.SECONDS)).as("the agent exits within 10 s of SIGTERM").isTrue();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(agent.exitValue()).as("exit status after SIGTERM, in " + tookMs + " ms").isIn(0, 143);
        // Not "dead at the agent's exit": the agent's kill runs on a Vert.x worker that vertx.close() shuts down with
        // shutdownNow(), so the CLI may die a moment later, of that SIGTERM or of the SIGHUP sent when the agent's
        // PTY master closes. An orphan is a CLI still running after that moment.
        assertThat(awaitGone(cliPid, 3)).as("pid " + cliPid + " (fake CLI of jar-2) outlived the agent").isTrue();
        assertThat(fakeCliProcesses()).as("no fake CLI left behind").isEmpty();
        assertThat(read(agentErr)).as("shutdown cancelled the live run")
            .contains("run=jar-2 provider=" + PROVIDER + " awaiting_user -> cancelled");
    }

    @Test
    @Order(5)
    void loggedTheEffectiveConfigWithTheTokenMaskedAndNoSecret() {
        assertThat(agent.isAlive()).as("runs after the agent stopped, so its log is complete").isFalse();
        String log = read(agentErr) + read(agentOut);
        assertThat(log).contains("starting: host=127.0.0.1 port=0").contains("token=<masked>");
        assertThat(log).as("the API token").doesNotContain(token);
        assertThat(log).as("the relayed callback's code").doesNotContain(CODE);
    }

    private static JsonObject startAndAwaitUser(String id) throws Exception {
        HttpResponse<String> started = post("/api/v1/runs", new JsonObject().put("sessionId", id)
            .put("provider", PROVIDER));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        JsonObject waiting = awaitRun(id, v -> v.getBoolean("awaitingInput") || v.getBoolean("terminal"), 30);
        assertThat(waiting.getString("state")).as(waiting.encode()).isEqualTo("awaiting_user");
        return waiting;
    }

    private static boolean isFakeCli(ProcessHandle h) {
        return h.info().commandLine().map(c -> c.contains(script.toString())).orElse(false);
    }

    private static List<ProcessHandle> fakeCliProcesses() {
        if (script == null) {
            return List.of();
        }
        return ProcessHandle.allProcesses().filter(AgentJarIT::isFakeCli).filter(h -> isRunning(h.pid())).toList();
    }

    /** Alive and not a zombie: an orphan the agent killed may wait a moment for init to reap it. */
    private static boolean isRunning(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone
        }
    }

    private static boolean awaitGone(long pid, int seconds) throws Exception {
        return Poll.eventually(Duration.ofSeconds(seconds), () -> !isRunning(pid));
    }

    private static JsonObject awaitRun(String id, Predicate<JsonObject> until, int seconds) throws Exception {
        try {
            return Poll.until(Duration.ofSeconds(seconds), "run " + id,
                () -> new JsonObject(get("/api/v1/runs/" + id, token).body()), until);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nevents: " + get("/api/v1/runs/" + id + "/events", token).body(),
                e);
        }
    }

    private static HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, JsonObject body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier cond, int seconds, String what)
        throws Exception {
        try {
            Poll.until(Duration.ofSeconds(seconds), what, () -> {
                if (!agent.isAlive()) {
                    throw new AssertionError("the agent exited with " + agent.exitValue() + " while waiting for "
                        + what);
                }
                return cond.getAsBoolean();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nstderr: " + read(agentErr), e);
        }
    }
}

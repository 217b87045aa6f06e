package dev.loginrelay.agent;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import dev.loginrelay.agent.testing.net.FakeInternet;
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
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's OCI image ({@code snapshot/image.sh}) as a cluster or an operator runs it: a container with host
 * networking, its token and an extra provider spec mounted, reached over 127.0.0.1. Run by {@code snapshot/image-it.sh}
 * ({@code mvn -Pimage verify} inside a network namespace of its own, with a Docker engine started in that namespace,
 * so the container's "host" network is that namespace): the self-check passes in the container, and the REAL pinned
 * codex in the container completes its device login against {@link FakeCodexIssuer}, which this JVM serves on the
 * namespace's loopback; and its browser login through this JVM's intercepting proxy ({@link FakeInternet}), whose CA
 * is handed into the container with the mounted provider specs. Not part of the plain build: it needs root, Docker
 * and the built image.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentImageIT {
    static final String IMAGE = System.getProperty("loginrelay.image", "loginrelay/agent:local");
    /** The network namespace image-it.sh was started in ({@code readlink /proc/self/ns/net}): the host's. */
    static final String OUTER_NETNS = System.getProperty("loginrelay.image.outer-netns", "none");
    static final String PROVIDER = "codex-device-image";
    static final String BROWSER_PROVIDER = "codex-image";
    static final String PROVIDERS_PATH = "/etc/loginrelay/providers";
    static final String TOKEN_PATH = "/run/secrets/loginrelay/agent.token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static FakeCodexIssuer issuer;
    static FakeInternet net;
    static String container;
    static String token;
    static int port;

    @BeforeAll
    static void startTheContainer() throws Exception {
        assertThat(docker("image", "inspect", "-f", "{{.Id}}", IMAGE).code).as("the image: snapshot/image.sh")
            .isZero();
        issuer = FakeCodexIssuer.start().approveAfterPolls(2).email("image.user@example.com").plan("pro");
        Path providers = Files.createDirectories(dir.resolve("providers"));
        Files.writeString(providers.resolve(PROVIDER + ".json"), deviceSpec(issuer.baseUrl()).encodePrettily());
        // The browser flow: codex's HTTPS through the proxy on this namespace's loopback, trusting the test CA, which
        // travels into the container next to the specs.
        net = FakeInternet.start(dir.resolve("net"));
        net.idp().email("image.browser@example.com").codex().plan("team");
        Files.copy(net.ca().caPem(), providers.resolve("fake-ca.pem"));
        Files.writeString(providers.resolve(BROWSER_PROVIDER + ".json"), net.codexOverlay(BROWSER_PROVIDER)
            .put("env", net.env(FakeInternet.CODEX_CA).put(FakeInternet.CODEX_CA, PROVIDERS_PATH + "/fake-ca.pem"))
            .encodePrettily());
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        token = HexFormat.of().formatHex(secret);
        Path tokenFile = dir.resolve("agent.token");
        Files.writeString(tokenFile, token);
        // Readable by the image's user only, as a Secret mounted for that user would be; dir (the test's temp dir) is
        // 0700, so no other user of this host reaches it.
        String user = docker("image", "inspect", "-f", "{{.Config.User}}", IMAGE).out.strip();
        assertThat(run(List.of("chown", user, tokenFile.toString())).code).isZero();
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("r--------"));
        Files.setPosixFilePermissions(providers, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        container = "loginrelay-image-it-" + ProcessHandle.current().pid();
        Result started = docker("run", "-d", "--name", container, "--network", "host",
            "-e", "LOGINRELAY_AGENT_HOST=127.0.0.1", "-e", "LOGINRELAY_AGENT_PORT=" + port,
            "-v", tokenFile + ":" + TOKEN_PATH + ":ro", "-v", providers + ":" + PROVIDERS_PATH + ":ro", IMAGE);
        assertThat(started.code).as("%s", started).isZero();
        Poll.until(Duration.ofSeconds(180), "the agent in the container answers /health on 127.0.0.1:" + port,
            () -> health() || !running());
        assertThat(running()).as("the container runs; its log:%n%s", logs()).isTrue();
    }

    @AfterAll
    static void stop() throws Exception {
        if (container != null) {
            docker("rm", "-f", container);
        }
        if (issuer != null) {
            issuer.close();
        }
        if (net != null) {
            net.close();
        }
    }

    private static JsonObject deviceSpec(String issuerUrl) {
        String deadProxy = "http://127.0.0.1:9"; // any stray HTTPS fails at once
        return new JsonObject().put("name", PROVIDER).put("extends", "codex-device")
            .put("command", new JsonArray(List.of("codex", "login", "--device-auth", "--experimental_issuer",
                issuerUrl)))
            .put("env", new JsonObject().put("CODEX_HOME", "${HOME}/.codex").put("HTTPS_PROXY", deadProxy)
                .put("https_proxy", deadProxy).put("NO_PROXY", "127.0.0.1,localhost")
                .put("no_proxy", "127.0.0.1,localhost"));
    }

    @Test
    @Order(1)
    void theContainerSharesTheNetworkNamespaceOfItsEngine() throws Exception {
        String pid = docker("inspect", "-f", "{{.State.Pid}}", container).out.strip();
        Path containerNet = Files.readSymbolicLink(Path.of("/proc", pid, "ns/net"));
        assertThat(containerNet).as("--network host: the container is in this test's network namespace")
            .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        assertThat(OUTER_NETNS).as("the host's namespace, from image-it.sh").startsWith("net:[");
        assertThat(containerNet.toString()).as("image-it.sh runs this test in a namespace of its own, not the host's")
            .isNotEqualTo(OUTER_NETNS);
    }

    @Test
    @Order(2)
    void theSelfCheckPassesInTheContainer() throws Exception {
        Result doctor = docker("run", "--rm", "--network", "none", IMAGE, "doctor", "--work-dir", "/tmp/doctor");
        assertThat(doctor.code).as("%s", doctor).isZero();
        JsonObject report = new JsonObject(doctor.out);
        assertThat(report.getBoolean("ok")).as(doctor.out).isTrue();

        // The live self-check runs each CLI's --version again: seconds each on a busy 2-core machine.
        HttpResponse<String> live = get("/api/v1/doctor", token, Duration.ofSeconds(180));
        assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
        JsonObject liveReport = new JsonObject(live.body());
        assertThat(liveReport.getBoolean("ok")).as(live.body()).isTrue();
        assertThat(live.body()).as("the mounted provider spec is in the running agent's catalog").contains(PROVIDER);
    }

    @Test
    @Order(3)
    void theApiNeedsTheMountedToken() throws Exception {
        assertThat(get("/api/v1/providers", "not-" + token).statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/providers", token).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void theRealCodexDeviceLoginReachesReadyInTheContainer() throws Exception {
        HttpResponse<String> created = post("/api/v1/runs", new JsonObject().put("sessionId", "image-1")
            .put("provider", PROVIDER));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonObject ready = Poll.until(Duration.ofSeconds(120), "the run in the container ends",
            () -> new JsonObject(get("/api/v1/runs/image-1", token).body()), v -> v.getBoolean("terminal", false));
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getString("verificationUrl")).isEqualTo(issuer.baseUrl() + "/codex/device");
        assertThat(ready.getString("userCode")).isEqualTo(issuer.userCode());
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("image.user@example.com");
        assertThat(issuer.requests()).extracting(FakeCodexIssuer.Request::path).as("codex in the container spoke to "
            + "the issuer on this namespace's loopback").contains("/api/accounts/deviceauth/usercode", "/oauth/token");

        String seen = get("/api/v1/runs/image-1/events?after=0", token).body() + ready.encode() + logs();
        for (String secret : List.of(issuer.accessToken(), issuer.refreshToken(), issuer.idToken(),
                issuer.codeVerifier(), issuer.authorizationCode(), token)) {
            assertThat(seen).as("a secret reached the run's view, events or the container's log")
                .doesNotContain(secret);
        }
    }

    @Test
    @Order(5)
    void theRealCodexBrowserLoginInTheContainerTakesTheUsersCallback() throws Exception {
        HttpResponse<String> created = post("/api/v1/runs", new JsonObject().put("sessionId", "image-browser")
            .put("provider", BROWSER_PROVIDER));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonObject waiting = Poll.until(Duration.ofSeconds(60), "the auth URL from codex in the container",
            () -> new JsonObject(get("/api/v1/runs/image-browser", token).body()),
            v -> v.getString("authUrl") != null || v.getBoolean("terminal", false));
        assertThat(waiting.getString("state")).as(waiting.encode()).isEqualTo("awaiting_user");
        String callback = FakeBrowser.callbackFor(waiting.getString("authUrl"),
            "code=" + net.idp().codex().authorizationCode() + "&state={state}");

        HttpResponse<String> relayed = post("/api/v1/runs/image-browser/callback",
            new JsonObject().put("url", callback));
        assertThat(relayed.statusCode()).as(relayed.body()).isEqualTo(202);
        JsonObject ready = Poll.until(Duration.ofSeconds(120), "the browser run in the container ends",
            () -> new JsonObject(get("/api/v1/runs/image-browser", token).body()),
            v -> v.getBoolean("terminal", false));
        assertThat(ready.getString("state")).as(ready.encode()).isEqualTo("ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("image.browser@example.com");
        assertThat(net.idp().requests()).as("codex exchanged the code through the proxy, trusting the handed-in CA")
            .anyMatch(r -> r.host().equals("auth.openai.com") && r.path().equals("/oauth/token"));

        String seen = get("/api/v1/runs/image-browser/events?after=0", token).body() + ready.encode()
            + relayed.body() + logs();
        for (String secret : net.idp().issuedSecrets()) {
            assertThat(seen).as("secret %s... leaked", secret.substring(0, 6)).doesNotContain(secret);
        }
    }

    @Test
    @Order(6)
    void theAgentDoesNotStartWithoutItsToken() throws Exception {
        Result refused = docker("run", "--rm", "--network", "none", IMAGE);
        assertThat(refused.code).as("%s", refused).isEqualTo(1);
        assertThat(refused.err).contains("no readable token in " + TOKEN_PATH);
    }

    private static boolean health() {
        try {
            return get("/health", null).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean running() throws Exception {
        return docker("inspect", "-f", "{{.State.Running}}", container).out.strip().equals("true");
    }

    private static String logs() throws Exception {
        Result logs = docker("logs", container);
        return logs.out + logs.err;
    }

    private static HttpResponse<String> get(String path, String bearer) throws IOException, InterruptedException {
        return get(path, bearer, Duration.ofSeconds(10));
    }

    private static HttpResponse<String> get(String path, String bearer, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(timeout);
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, JsonObject body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Exit code, standard output and standard error of one command. */
    private record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "; stdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Result docker(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return run(command);
    }

    /** Output to files, so no reader thread is needed; killed after 5 minutes. */
    private static Result run(List<String> command) throws Exception {
        Path out = Files.createTempFile(dir, "cmd-", ".out");
        Path err = Files.createTempFile(dir, "cmd-", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                throw new AssertionError(command + " did not end within 5 minutes");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }
}

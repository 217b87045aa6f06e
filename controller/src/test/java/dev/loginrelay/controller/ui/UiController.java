package dev.loginrelay.controller.ui;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.controller.Controller;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.Backends;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real controller in-process on port 0 over a fresh schema, starting real agent processes with the fake CLIs (as
 * the e2e {@code ControllerFixture}, trimmed to what the page tests need), plus plain HTTP calls for set-up and checks.
 */
final class UiController implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("loginrelay.repo.dir", "..")).toAbsolutePath().normalize();
    static final String API_KEY = "ui-test-api-key-0123456789abcdef";
    static final String OPERATOR = "ui-test-operator-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Map<String, String> env = new HashMap<>();
    private final Path providers;
    private Vertx vertx;
    private VmPool vms;
    private Controller controller;

    UiController(Path dir) throws IOException {
        this.providers = Files.createDirectories(dir.resolve("providers"));
        env.put("LOGINRELAY_HTTP_PORT", "0");
        env.put("LOGINRELAY_UI_DEMO", "true");
        env.put("LOGINRELAY_DATA_DIR", dir.resolve("data").toString());
        env.put("LOGINRELAY_AGENT_JAR", REPO.resolve("agent/target/loginrelay-agent.jar").toString());
        env.put("LOGINRELAY_CLI_PATH", REPO.resolve(".clis/node_modules/.bin").toString());
        env.put("LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString());
        env.put("LOGINRELAY_SWEEP_INTERVAL_MS", "200");
    }

    /**
     * Adds an operator provider spec (a fake CLI); {@code displayName} is what the Connect button says, or null to
     * keep the one of the spec it extends.
     */
    UiController spec(JsonObject spec, String displayName) throws IOException {
        JsonObject s = spec.copy();
        if (displayName != null) {
            s.put("displayName", displayName);
        }
        Files.writeString(providers.resolve(spec.getString("name") + ".json"), s.encodePrettily());
        return this;
    }

    /**
     * A loopback fake CLI that starts only once {@code gate} exists, so its sessions stay {@code starting} (the CLI
     * is starting) for as long as a test needs to look at them.
     */
    static JsonObject gated(String name, Path gate) {
        JsonObject spec = dev.loginrelay.agent.testing.fakes.FakeCliSpecs.loopback(name, new JsonObject());
        String script = dev.loginrelay.agent.testing.fakes.FakeCliSpecs.DIR.resolve("fake-loopback.js").toString();
        return spec.put("command", new io.vertx.core.json.JsonArray().add("sh").add("-c")
            .add("while [ ! -e \"$1\" ]; do sleep 0.1; done; exec node \"$2\" login").add("gated")
            .add(gate.toString()).add(script));
    }

    /** Creates {@code gate}: a {@link #gated} CLI waiting on it starts. */
    static void open(Path gate) throws IOException {
        if (!Files.exists(gate)) {
            Files.writeString(gate, "open");
        }
    }

    UiController start() throws Exception {
        DbConfig db = PgFixture.instance().newSchema();
        ControllerConfig config = ControllerConfig.fromEnv(env)
            .withDatabase(db.jdbcUrl(), db.user(), db.password() == null ? null : Secret.of(db.password()))
            .withSecrets(Secret.of(API_KEY), Secret.of(OPERATOR));
        vertx = Vertx.vertx();
        vms = Backends.create(vertx, config, env, new AgentClient(vertx));
        controller = Controller.deploy(vertx, config, vms).toCompletionStage().toCompletableFuture()
            .get(90, TimeUnit.SECONDS);
        return this;
    }

    String url(String path) {
        return "http://127.0.0.1:" + controller.port() + path;
    }

    /** A status and body. */
    record Response(int status, String body) {
        JsonObject json() {
            return new JsonObject(body);
        }
    }

    Response call(String method, String path, String body, String bearer, Map<String, String> headers)
        throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body());
    }

    /** Creates a session as the product's backend does (API key); returns the 201 body with the session token. */
    JsonObject create(String provider, String user) throws Exception {
        Response r = call("POST", "/api/v1/auth-sessions", new JsonObject().put("provider", provider)
            .put("userId", user).encode(), API_KEY, Map.of());
        if (r.status() != 201) {
            throw new AssertionError("create answered " + r);
        }
        return r.json();
    }

    /** GET with the operator token; must answer 200. */
    JsonObject operatorGet(String path) throws Exception {
        Response r = call("GET", path, null, OPERATOR, Map.of());
        if (r.status() != 200) {
            throw new AssertionError("GET " + path + " answered " + r);
        }
        return r.json();
    }

    /** Waits until the session has {@code status}, read with the operator token. */
    JsonObject awaitStatus(String id, String status, int seconds) throws Exception {
        return Poll.until(Duration.ofSeconds(seconds), "session " + id + " " + status,
            () -> operatorGet("/api/v1/auth-sessions/" + id), v -> status.equals(v.getString("status")));
    }

    static String param(String url, String name) {
        for (String p : URI.create(url).getRawQuery().split("&")) {
            if (p.startsWith(name + "=")) {
                return URLDecoder.decode(p.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no " + name + " in " + url);
    }

    @Override
    public void close() throws Exception {
        if (vms != null) {
            vms.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}

package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.controller.Controller;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.vm.VmPool;
import dev.loginrelay.controller.Backends;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.credentials.CredentialConfig;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real controller in-process on port 0, over a fresh schema of the test PostgreSQL, starting real agent processes
 * (the shipped agent jar) with the fake CLIs, driven over HTTP like the page and the product's backend drive it.
 */
final class ControllerFixture implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("loginrelay.repo.dir", "..")).toAbsolutePath().normalize();
    static final String API_KEY = "test-api-key-0123456789abcdef";
    static final String OPERATOR = "test-operator-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path dir;
    final Path providers;
    final Map<String, String> env = new HashMap<>();
    private DbConfig db;
    Vertx vertx;
    private VmPool vms;
    private Controller controller;
    /** How long {@link #start} may take (a qemu provider makes its golden snapshot first). */
    int startSeconds = 90;

    ControllerFixture(Path dir) throws IOException {
        this.dir = dir;
        this.providers = Files.createDirectories(dir.resolve("providers"));
        env.put("LOGINRELAY_HTTP_PORT", "0");
        env.put("LOGINRELAY_DATA_DIR", dir.resolve("data").toString());
        env.put("LOGINRELAY_AGENT_JAR", REPO.resolve("agent/target/loginrelay-agent.jar").toString());
        env.put("LOGINRELAY_CLI_PATH", REPO.resolve(".clis/node_modules/.bin").toString());
        env.put("LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString());
        env.put("LOGINRELAY_SWEEP_INTERVAL_MS", "200");
        env.put("LOGINRELAY_AGENT_LOST_SECONDS", "2");
    }

    ControllerFixture spec(JsonObject spec) throws IOException {
        Files.writeString(providers.resolve(spec.getString("name") + ".json"), spec.encodePrettily());
        return this;
    }

    ControllerFixture start() throws Exception {
        if (db == null) {
            db = PgFixture.instance().newSchema();
        }
        return startOn(db);
    }

    /** Another replica on the same database schema. */
    ControllerFixture startOn(DbConfig database) throws Exception {
        db = database;
        ControllerConfig config = ControllerConfig.fromEnv(env)
            .withDatabase(database.jdbcUrl(), database.user(), database.password() == null ? null
                : Secret.of(database.password()))
            .withSecrets(Secret.of(API_KEY), Secret.of(OPERATOR));
        vertx = Vertx.vertx();
        AgentClient agents = new AgentClient(vertx);
        vms = Backends.create(vertx, config, env, agents);
        controller = Controller.deploy(vertx, config, vms, agents, CredentialConfig.fromEnv(env, config.dataDir()))
            .toCompletionStage().toCompletableFuture()
            .get(startSeconds, TimeUnit.SECONDS);
        return this;
    }

    DbConfig database() {
        return db;
    }

    /** Stops the controller as a crash would for its agents: they keep running (their VMs outlive it). */
    void stopKeepingAgents() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + controller.port() + path);
    }

    Response call(String method, String path, String body, String bearer, Map<String, String> headers)
        throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body());
    }

    Response call(String method, String path, String body, String bearer) throws Exception {
        return call(method, path, body, bearer, Map.of());
    }

    /** POST /api/v1/auth-sessions with the API key; returns the 201 body (with sessionToken). */
    JsonObject create(String provider, String user) throws Exception {
        Response r = call("POST", "/api/v1/auth-sessions",
            new JsonObject().put("provider", provider).put("userId", user).encode(), API_KEY);
        if (r.status() != 201) {
            throw new AssertionError("create failed: " + r);
        }
        return r.json();
    }

    JsonObject get(String id, String token) throws Exception {
        Response r = call("GET", "/api/v1/auth-sessions/" + id, null, token);
        if (r.status() != 200) {
            throw new AssertionError("get failed: " + r);
        }
        return r.json();
    }

    Response post(String id, String action, JsonObject body, String token) throws Exception {
        return call("POST", "/api/v1/auth-sessions/" + id + "/" + action, body == null ? null : body.encode(), token);
    }

    JsonObject awaitSession(String id, String token, Predicate<JsonObject> until, int seconds) throws Exception {
        try {
            return Poll.until(Duration.ofSeconds(seconds), "session " + id, () -> get(id, token), until);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ntimeline: "
                + call("GET", "/api/v1/auth-sessions/" + id + "/timeline", null, OPERATOR).body(), e);
        }
    }

    /** Waits for {@code status}; fails at once if the session ends in another one. */
    JsonObject awaitStatus(String id, String token, String status, int seconds) throws Exception {
        JsonObject v = awaitSession(id, token, x -> status.equals(x.getString("status")) || x.getBoolean("terminal"),
            seconds);
        if (!status.equals(v.getString("status"))) {
            throw new AssertionError("session " + id + " ended " + v.getString("status") + " instead of reaching "
                + status + ": " + v + "\ntimeline: " + timeline(id));
        }
        return v;
    }

    JsonObject timeline(String id) throws Exception {
        return call("GET", "/api/v1/auth-sessions/" + id + "/timeline", null, OPERATOR).json();
    }

    static <T> T await(io.vertx.core.Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
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

    /** A status and body. */
    record Response(int status, String body) {
        JsonObject json() {
            return new JsonObject(body);
        }

        String errorCode() {
            return json().getJsonObject("error").getString("code");
        }
    }
}

package dev.loginrelay.controller.testing;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.Backends;
import dev.loginrelay.controller.Controller;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.credentials.CredentialConfig;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.vm.VmPool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
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
import java.util.function.Predicate;

/**
 * A real controller in-process on port 0, over a fresh schema of the test PostgreSQL, starting real agent processes
 * (the shipped agent jar) with the fake CLIs, driven over HTTP like the page and the product's backend drive it.
 * One fixture for the API tests ({@link #ControllerFixture}) and the page tests ({@link #forPages}); a test changes
 * {@link #env} before {@link #start} for anything else.
 */
public final class ControllerFixture implements AutoCloseable {
    /** The repository's root: the shipped jars, the installed CLIs and the README are found from here. */
    public static final Path REPO = Path.of(System.getProperty("loginrelay.repo.dir", "..")).toAbsolutePath()
        .normalize();
    public static final String API_KEY = "test-api-key-0123456789abcdef";
    public static final String OPERATOR = "test-operator-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The controller's environment, read at {@link #start}. */
    public final Map<String, String> env = new HashMap<>();
    private final Path providers;
    private DbConfig db;
    private Vertx vertx;
    private VmPool vms;
    private Controller controller;
    private int startSeconds = 90;

    /**
     * For the API tests: an agent that stops answering fails its sessions after 2 s (instead of 5), so tests of a lost
     * agent are quick.
     */
    public ControllerFixture(Path dir) throws IOException {
        this.providers = Files.createDirectories(dir.resolve("providers"));
        env.put("LOGINRELAY_HTTP_PORT", "0");
        env.put("LOGINRELAY_DATA_DIR", dir.resolve("data").toString());
        env.put("LOGINRELAY_AGENT_JAR", REPO.resolve("agent/target/loginrelay-agent.jar").toString());
        env.put("LOGINRELAY_CLI_PATH", REPO.resolve(".clis/node_modules/.bin").toString());
        env.put("LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString());
        env.put("LOGINRELAY_SWEEP_INTERVAL_MS", "200");
        env.put("LOGINRELAY_AGENT_LOST_SECONDS", "2");
        // No real CLI started ahead by every test's warm agent (the product's default starts claude and gemini
        // ahead); the tests of logins started ahead turn it on.
        env.put("LOGINRELAY_LOCAL_PRESTART", "none");
    }

    /**
     * For the page tests: the Connect page's demo backend on ({@code LOGINRELAY_UI_DEMO=true}) and the product's own
     * agent-lost time, so a browser test on a busy machine does not lose an agent that is only slow.
     */
    public static ControllerFixture forPages(Path dir) throws IOException {
        ControllerFixture c = new ControllerFixture(dir);
        c.env.put("LOGINRELAY_UI_DEMO", "true");
        c.env.remove("LOGINRELAY_AGENT_LOST_SECONDS");
        return c;
    }

    /** Adds an operator provider spec (a fake or overlaid CLI). */
    public ControllerFixture spec(JsonObject spec) throws IOException {
        return spec(spec, null);
    }

    /**
     * Adds an operator provider spec; {@code displayName} is what the Connect button says, or null to keep the one of
     * the spec (or of the spec it extends).
     */
    public ControllerFixture spec(JsonObject spec, String displayName) throws IOException {
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
    public static JsonObject gated(String name, Path gate) {
        JsonObject spec = FakeCliSpecs.loopback(name, new JsonObject());
        String script = FakeCliSpecs.DIR.resolve("fake-loopback.js").toString();
        return spec.put("command", new JsonArray().add("sh").add("-c")
            .add("while [ ! -e \"$1\" ]; do sleep 0.1; done; exec node \"$2\" login").add("gated")
            .add(gate.toString()).add(script));
    }

    /** Creates {@code gate}: a {@link #gated} CLI waiting on it starts. */
    public static void open(Path gate) throws IOException {
        if (!Files.exists(gate)) {
            Files.writeString(gate, "open");
        }
    }

    /** How long {@link #start} may take (a qemu pool makes its golden snapshot first); 90 s unless set. */
    public ControllerFixture startSeconds(int seconds) {
        this.startSeconds = seconds;
        return this;
    }

    /** Starts on a fresh schema (or on the one of the previous start). */
    public ControllerFixture start() throws Exception {
        if (db == null) {
            db = PgFixture.instance().newSchema();
        }
        return startOn(db);
    }

    /** Another replica on the same database schema. */
    public ControllerFixture startOn(DbConfig database) throws Exception {
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

    public DbConfig database() {
        return db;
    }

    /** Stops the controller as a crash would for its agents: they keep running (their VMs outlive it). */
    public void stopKeepingAgents() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * Stops the controller as its shutdown hook does ({@code ControllerMain}): what the VM pool keeps ahead for no
     * session is stopped, the agents of sessions in flight keep running.
     */
    public void shutDown() throws Exception {
        vms.stopIdle();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vms = null;
        vertx = null;
    }

    /** The controller's address for {@code path}, e.g. a page a browser opens. */
    public String url(String path) {
        return "http://127.0.0.1:" + controller.port() + path;
    }

    public URI uri(String path) {
        return URI.create(url(path));
    }

    public Response call(String method, String path, String body, String bearer, Map<String, String> headers)
        throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
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

    public Response call(String method, String path, String body, String bearer) throws Exception {
        return call(method, path, body, bearer, Map.of());
    }

    /** Creates a session as the product's backend does (API key); returns the 201 body with the session token. */
    public JsonObject create(String provider, String user) throws Exception {
        Response r = call("POST", "/api/v1/auth-sessions",
            new JsonObject().put("provider", provider).put("userId", user).encode(), API_KEY);
        if (r.status() != 201) {
            throw new AssertionError("create failed: " + r);
        }
        return r.json();
    }

    /** GET with the operator token; must answer 200. */
    public JsonObject operatorGet(String path) throws Exception {
        Response r = call("GET", path, null, OPERATOR);
        if (r.status() != 200) {
            throw new AssertionError("GET " + path + " answered " + r);
        }
        return r.json();
    }

    /** The session as {@code token} (session token or operator token) sees it; must answer 200. */
    public JsonObject get(String id, String token) throws Exception {
        Response r = call("GET", "/api/v1/auth-sessions/" + id, null, token);
        if (r.status() != 200) {
            throw new AssertionError("get failed: " + r);
        }
        return r.json();
    }

    public Response post(String id, String action, JsonObject body, String token) throws Exception {
        return call("POST", "/api/v1/auth-sessions/" + id + "/" + action, body == null ? null : body.encode(), token);
    }

    /** Waits until the session read with {@code token} matches {@code until}; a timeout names its timeline. */
    public JsonObject awaitSession(String id, String token, Predicate<JsonObject> until, int seconds) throws Exception {
        try {
            return Poll.until(Duration.ofSeconds(seconds), "session " + id, () -> get(id, token), until);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ntimeline: "
                + call("GET", "/api/v1/auth-sessions/" + id + "/timeline", null, OPERATOR).body(), e);
        }
    }

    /** Waits for {@code status}; fails at once if the session ends in another one. */
    public JsonObject awaitStatus(String id, String token, String status, int seconds) throws Exception {
        JsonObject v = awaitSession(id, token, x -> status.equals(x.getString("status")) || x.getBoolean("terminal"),
            seconds);
        if (!status.equals(v.getString("status"))) {
            throw new AssertionError("session " + id + " ended " + v.getString("status") + " instead of reaching "
                + status + ": " + v + "\ntimeline: " + timeline(id));
        }
        return v;
    }

    /** {@link #awaitStatus(String, String, String, int)} read with the operator token. */
    public JsonObject awaitStatus(String id, String status, int seconds) throws Exception {
        return awaitStatus(id, OPERATOR, status, seconds);
    }

    public JsonObject timeline(String id) throws Exception {
        return call("GET", "/api/v1/auth-sessions/" + id + "/timeline", null, OPERATOR).json();
    }

    /** The decoded value of query parameter {@code name} in {@code url}; fails if there is none. */
    public static String param(String url, String name) {
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

    /** A status and body. */
    public record Response(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public String errorCode() {
            return json().getJsonObject("error").getString("code");
        }
    }
}

package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.Agent;
import dev.loginrelay.agent.config.AgentConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real agent deployed in-process on port 0 with its own work dir, token file and operator providers dir, driven
 * over HTTP the way the controller drives it. Blocking helpers run on the test thread, never on an event loop.
 */
final class AgentFixture implements AutoCloseable {
    static final Path FAKECLI = dev.loginrelay.agent.testing.fakes.FakeCliSpecs.DIR;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path root;
    final Path providers;
    final Vertx vertx = Vertx.vertx();
    private Agent agent;
    private String token;

    AgentFixture(Path root) throws IOException {
        this.root = root;
        this.providers = Files.createDirectories(root.resolve("providers"));
    }

    /** Writes an operator spec (a JSON object) into the providers dir; call before {@link #start}. */
    AgentFixture spec(JsonObject spec) throws IOException {
        Files.writeString(providers.resolve(spec.getString("name") + ".json"), spec.encodePrettily());
        return this;
    }

    AgentFixture start(Map<String, String> extraEnv) throws Exception {
        java.util.Map<String, String> env = new java.util.HashMap<>(extraEnv);
        env.put("LOGINRELAY_AGENT_PORT", "0");
        env.put("LOGINRELAY_AGENT_WORK_DIR", root.resolve("work").toString());
        env.put("LOGINRELAY_AGENT_PROVIDERS_DIR", providers.toString());
        env.putIfAbsent("LOGINRELAY_AGENT_LOCK_DIR", root.resolve("locks").toString());
        env.putIfAbsent("LOGINRELAY_AGENT_CLI_PATH", cliBin().toString());
        AgentConfig config = AgentConfig.from(env, List.of());
        agent = await(Agent.deploy(vertx, config));
        token = Files.readString(config.tokenFile()).strip();
        return this;
    }

    AgentFixture start() throws Exception {
        return start(Map.of());
    }

    static Path cliBin() {
        return Path.of(System.getProperty("loginrelay.clis.dir", "../.clis")).resolve("node_modules/.bin");
    }

    String token() {
        return token;
    }

    AgentConfig config() {
        return agent.agentConfig();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + agent.port() + path);
    }

    Response call(String method, String path, String body, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(90));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body());
    }

    Response get(String path) throws Exception {
        return call("GET", path, null, token);
    }

    Response post(String path, JsonObject body) throws Exception {
        return call("POST", path, body == null ? null : body.encode(), token);
    }

    JsonObject startRun(String sessionId, String provider) throws Exception {
        Response r = post("/api/v1/runs", new JsonObject().put("sessionId", sessionId).put("provider", provider));
        if (r.status() != 201) {
            throw new AssertionError("start failed: " + r);
        }
        return r.json();
    }

    JsonObject run(String id) throws Exception {
        return get("/api/v1/runs/" + id).json();
    }

    /** Polls the run until {@code until} holds, failing with the run's last view after {@code seconds}. */
    JsonObject awaitRun(String id, Predicate<JsonObject> until, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonObject last = null;
        while (System.nanoTime() < deadline) {
            last = run(id);
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("run " + id + " did not reach the condition in " + seconds + " s; last view: "
            + last + "\nevents: " + events(id));
    }

    JsonObject awaitState(String id, String state, int seconds) throws Exception {
        return awaitRun(id, v -> state.equals(v.getString("state")), seconds);
    }

    JsonObject awaitInput(String id, int seconds) throws Exception {
        return awaitRun(id, v -> v.getBoolean("awaitingInput") || v.getBoolean("terminal"), seconds);
    }

    List<JsonObject> events(String id) throws Exception {
        JsonArray a = get("/api/v1/runs/" + id + "/events?after=0").json().getJsonArray("events");
        List<JsonObject> out = new ArrayList<>();
        a.forEach(o -> out.add((JsonObject) o));
        return out;
    }

    /** The detail of the run's first event of {@code kind}, once it is there (the relay's outcome comes as one). */
    JsonObject awaitEvent(String id, String kind, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (JsonObject e : events(id)) {
                if (e.getString("kind").equals(kind)) {
                    return e.getJsonObject("detail");
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("run " + id + " has no " + kind + " event after " + seconds + " s: " + eventKinds(id));
    }

    List<String> eventKinds(String id) throws Exception {
        return events(id).stream().map(e -> e.getString("kind")).toList();
    }

    Path home(String id) {
        return config().workDir().resolve("sessions").resolve(id).resolve("home");
    }

    static void awaitTrue(java.util.function.BooleanSupplier cond, int seconds, String what) throws Exception {
        Poll.until(Duration.ofSeconds(seconds), what, cond::getAsBoolean);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
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

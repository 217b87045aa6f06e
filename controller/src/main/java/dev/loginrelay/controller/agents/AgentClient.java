package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The agent's HTTP API (README "HTTP API"), with a deadline on every call. Failures are {@link ApiException}s:
 * {@code AGENT_UNREACHABLE}, {@code AGENT_TIMEOUT}, or the agent's own 4xx mapped as {@link AgentReplies} says
 * (message {@code "<AGENT_CODE>: <agent's message>"}, cause {@link AgentError}). Bodies sent (callback URLs, codes)
 * and query strings are never logged. Thread-safe; one {@link WebClient} inside.
 */
public final class AgentClient implements AutoCloseable {
    /** Deadline of an ordinary call. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** The self-check runs each CLI's version command (up to 20 s each on the agent's side). */
    private static final long DOCTOR_MIN_MS = 60_000;
    /** A long poll's deadline is its wait plus this. */
    private static final long EVENTS_SLACK_MS = 5_000;
    private static final long MAX_WAIT_MS = 60_000;
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    /** Long polls hold a connection each; the default pool of 5 per agent would queue the sixth session's poll. */
    private static final int POOL_PER_AGENT = 64;
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Logger log = LoggerFactory.getLogger(AgentClient.class);

    private final WebClient web;
    private final long timeoutMs;

    public AgentClient(Vertx vertx) {
        this(vertx, DEFAULT_TIMEOUT);
    }

    /** {@code callTimeout}: the deadline of ordinary calls (callback and doctor get at least 30 s and 60 s). */
    public AgentClient(Vertx vertx, Duration callTimeout) {
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive, not " + callTimeout);
        }
        this.timeoutMs = callTimeout.toMillis();
        this.web = WebClient.create(vertx, new WebClientOptions()
                .setConnectTimeout((int) Math.min(CONNECT_TIMEOUT_MS, timeoutMs))
                .setKeepAlive(true).setFollowRedirects(false).setUserAgent("loginrelay-controller"),
            new PoolOptions().setHttp1MaxSize(POOL_PER_AGENT));
    }

    /** {@code POST /api/v1/runs}: the run view (also when the agent already had this session's run). */
    public Future<JsonObject> startRun(AgentHandle a, String sessionId, String provider) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.POST, "/api/v1/runs", null,
            new JsonObject().put("sessionId", id).put("provider", provider), timeoutMs, true));
    }

    /** {@code GET /api/v1/runs/{id}}: the run view. */
    public Future<JsonObject> run(AgentHandle a, String sessionId) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.GET, runPath(id), null, null, timeoutMs, true));
    }

    /**
     * {@code GET /api/v1/runs/{id}/events?after=&waitMs=}: {@code {events:[...], state, terminal, lastSeq}}. The
     * agent waits up to {@code waitMs} (at most 60000) for a first event; this call's deadline is that plus 5 s.
     */
    public Future<JsonObject> events(AgentHandle a, String sessionId, long after, long waitMs) {
        if (after < 0 || waitMs < 0 || waitMs > MAX_WAIT_MS) {
            return Future.failedFuture(new IllegalArgumentException("after must be >= 0 and waitMs in 0.."
                + MAX_WAIT_MS + ", not after=" + after + " waitMs=" + waitMs));
        }
        return checked(sessionId).compose(id -> call(a, HttpMethod.GET, runPath(id) + "/events",
            "after=" + after + "&waitMs=" + waitMs, null, waitMs + EVENTS_SLACK_MS, true));
    }

    /** {@code POST .../callback}: relays the browser's callback URL; {@code {accepted}} (202) once the agent took it. */
    public Future<JsonObject> callback(AgentHandle a, String sessionId, String url) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.POST, runPath(id) + "/callback", null,
            new JsonObject().put("url", url), timeoutMs, true));
    }

    /** {@code POST .../code}: types a pasted code into the CLI. */
    public Future<JsonObject> code(AgentHandle a, String sessionId, String code) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.POST, runPath(id) + "/code", null,
            new JsonObject().put("code", code), timeoutMs, true));
    }

    /** {@code POST .../cancel}: the run view; a finished run is {@code AGENT_CONFLICT} (409). */
    public Future<JsonObject> cancel(AgentHandle a, String sessionId) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.POST, runPath(id) + "/cancel", null,
            new JsonObject(), timeoutMs, true));
    }

    /**
     * {@code POST .../credentials/take}: a ready run's credential files, once ({@code {provider, files:[{path, mode,
     * content}], account, expiresAt}}); the agent deletes them from the run's HOME. The reply is never logged.
     */
    public Future<JsonObject> takeCredentials(AgentHandle a, String sessionId) {
        return checked(sessionId).compose(id -> call(a, HttpMethod.POST, runPath(id) + "/credentials/take", null,
            new JsonObject(), timeoutMs, true));
    }

    /**
     * {@code PUT /api/v1/workspace/credentials/{provider}}: writes the files into a workspace agent's HOME and runs the
     * provider's verify command there; {@code {installed, verified, code, message, account}}. Needs up to a minute.
     */
    public Future<JsonObject> installCredentials(AgentHandle a, String provider, JsonArray files) {
        return checked(provider).compose(p -> call(a, HttpMethod.PUT, "/api/v1/workspace/credentials/" + p, null,
            new JsonObject().put("files", files), Math.max(timeoutMs, DOCTOR_MIN_MS), true));
    }

    /**
     * {@code DELETE /api/v1/workspace/credentials/{provider}}: removes the files from a workspace agent's HOME;
     * {@code {removed, files?}} with the files as they were there (a refresh may have changed them).
     */
    public Future<JsonObject> removeCredentials(AgentHandle a, String provider) {
        return checked(provider).compose(p -> call(a, HttpMethod.DELETE, "/api/v1/workspace/credentials/" + p, null,
            null, timeoutMs, true));
    }

    /** {@code GET /health} (no token): {@code {"status":"ok","version"}}. */
    public Future<JsonObject> health(AgentHandle a) {
        return call(a, HttpMethod.GET, "/health", null, null, timeoutMs, false);
    }

    /**
     * {@code PUT /api/v1/token}, authenticated with {@code a}'s current token: from the next request on the agent
     * accepts only {@code next}. A handle with {@code next} is the one to use after this succeeds.
     */
    public Future<JsonObject> replaceToken(AgentHandle a, Secret next) {
        return call(a, HttpMethod.PUT, "/api/v1/token", null, new JsonObject().put("token", next.reveal()), timeoutMs,
            true);
    }

    /** {@code GET /api/v1/providers}. */
    public Future<JsonObject> providers(AgentHandle a) {
        return call(a, HttpMethod.GET, "/api/v1/providers", null, null, timeoutMs, true);
    }

    /** {@code GET /api/v1/doctor}: the agent's self-check. */
    public Future<JsonObject> doctor(AgentHandle a) {
        return doctor(a, java.time.Duration.ofMillis(Math.max(timeoutMs, DOCTOR_MIN_MS)));
    }

    /** The agent's self-check with a deadline of its own (a VM under software emulation runs each CLI slowly). */
    public Future<JsonObject> doctor(AgentHandle a, java.time.Duration deadline) {
        return call(a, HttpMethod.GET, "/api/v1/doctor", null, null, deadline.toMillis(), true);
    }

    private Future<JsonObject> call(AgentHandle a, HttpMethod method, String path, String query, JsonObject body,
                                    long deadlineMs, boolean auth) {
        AgentReplies.Call call = new AgentReplies.Call(a, method.name(), path, deadlineMs, System.nanoTime());
        Future<HttpResponse<Buffer>> sent;
        try {
            HttpRequest<Buffer> req = web.requestAbs(method, a.baseUrl() + path + (query == null ? "" : "?" + query))
                .idleTimeout(deadlineMs).putHeader("Accept", "application/json");
            if (auth) {
                req.bearerTokenAuthentication(a.token().reveal());
            }
            sent = body == null ? req.send() : req.sendJsonObject(body);
        } catch (RuntimeException e) { // a malformed base URL
            sent = Future.failedFuture(e);
        }
        // The idle timeout alone never fires on an agent that trickles bytes: the deadline is absolute.
        return sent.timeout(deadlineMs, TimeUnit.MILLISECONDS)
            .transform(ar -> AgentReplies.of(call, ar))
            .onComplete(ar -> log.debug("agent={} {} {} -> {} in {} ms", a.agentId(), call.method(), path,
                ar.succeeded() ? "ok" : ar.cause() instanceof ApiException e ? e.code() : "error", call.elapsedMs()));
    }

    private static Future<String> checked(String sessionId) {
        if (sessionId == null || !SESSION_ID.matcher(sessionId).matches()) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "a session id for an agent is 1-64 letters, digits, '.', '_' or '-'"));
        }
        return Future.succeededFuture(sessionId);
    }

    private static String runPath(String sessionId) {
        return "/api/v1/runs/" + sessionId;
    }

    @Override
    public void close() {
        web.close();
    }
}

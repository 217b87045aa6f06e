package dev.loginrelay.controller.api;

import dev.loginrelay.controller.credentials.CredentialService;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.Caller;
import dev.loginrelay.controller.model.Caller.Kind;
import dev.loginrelay.controller.session.ProviderDirectory;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.UUID;

/**
 * The public API under {@code /api/v1}: sessions for the page and the product's backend, the timeline and listing
 * for operators. Parse → service → reply; handlers never touch JDBC or the agents.
 */
public final class SessionRoutes {
    private static final int BODY_LIMIT = 64 * 1024;

    private final Vertx vertx;
    private final SessionService sessions;
    private final ProviderDirectory providers;
    private final Auth auth;
    private final SessionStream stream;
    private final CredentialService credentials;

    public SessionRoutes(Vertx vertx, SessionService sessions, ProviderDirectory providers, Secret apiKey,
                         Secret operatorToken, SessionStream stream, CredentialService credentials) {
        this.credentials = credentials;
        this.vertx = vertx;
        this.sessions = sessions;
        this.providers = providers;
        this.auth = new Auth(apiKey, operatorToken, sessions);
        this.stream = stream;
    }

    public void mount(Router r) {
        r.get("/api/v1/providers").handler(this::listProviders);
        r.route("/api/v1/auth-sessions*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        r.route("/api/v1/auth-sessions*").handler(auth::authenticate);
        r.post("/api/v1/auth-sessions").handler(Auth.require(Kind.API_KEY)).handler(this::createSession);
        r.get("/api/v1/auth-sessions").handler(Auth.require(Kind.OPERATOR)).handler(this::listSessions);
        r.get("/api/v1/auth-sessions/counts").handler(Auth.require(Kind.OPERATOR)).handler(this::countSessions);
        r.get("/api/v1/auth-sessions/:id").handler(this::getSession);
        r.get("/api/v1/auth-sessions/:id/events").handler(this::streamSession);
        r.get("/api/v1/auth-sessions/:id/timeline").handler(Auth.require(Kind.OPERATOR)).handler(this::getTimeline);
        r.post("/api/v1/auth-sessions/:id/callback").handler(Auth.userStep()).handler(this::relayCallback);
        r.post("/api/v1/auth-sessions/:id/code").handler(Auth.userStep()).handler(this::submitCode);
        r.post("/api/v1/auth-sessions/:id/cancel").handler(this::cancelSession);
    }

    private void listProviders(RoutingContext ctx) {
        Replies.json(ctx, 200, new JsonObject().put("providers", providers.toJson()));
    }

    private void createSession(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "provider", "userId", "workspace");
        String provider = Requests.string(body, "provider", 64);
        String userId = Requests.string(body, "userId", 200);
        // Optional: the user's workspace the credentials go into once the login is ready.
        String workspace = body.containsKey("workspace") ? Requests.string(body, "workspace", 64) : null;
        String key = Requests.header(ctx, "Idempotency-Key", 200);
        (workspace == null ? Future.<Void>succeededFuture()
                : credentials.checkWorkspace(userId, workspace).<Void>mapEmpty())
            .compose(v -> sessions.create(userId, provider, key))
            .compose(c -> workspace == null ? Future.succeededFuture(c)
                : credentials.target(c.session().sessionId(), userId, workspace).map(c))
            .onSuccess(c -> Replies.json(ctx, c.created() ? 201 : 200,
                SessionViews.of(c.session()).put("sessionToken", c.sessionToken())))
            .onFailure(ctx::fail);
    }

    private void listSessions(RoutingContext ctx) {
        String status = Requests.query(ctx, "status", 32);
        SessionState state = null;
        if (status != null) {
            try {
                state = SessionState.fromWire(status);
            } catch (IllegalArgumentException e) {
                throw new ApiException(ErrorCode.INVALID_INPUT, e.getMessage());
            }
        }
        int limit = Requests.intParam(ctx, "limit", 50, 1, 1000);
        sessions.list(state, providerParam(ctx), instantParam(ctx, "since"), instantParam(ctx, "until"), limit)
            .onSuccess(list -> {
                JsonArray a = new JsonArray();
                list.forEach(s -> a.add(SessionViews.operator(s)));
                Replies.json(ctx, 200, new JsonObject().put("sessions", a));
            })
            .onFailure(ctx::fail);
    }

    /** Counts by status over the same provider and time filters as the list (the status filter does not apply). */
    private void countSessions(RoutingContext ctx) {
        sessions.countByStatus(providerParam(ctx), instantParam(ctx, "since"), instantParam(ctx, "until"))
            .onSuccess(counts -> {
                JsonObject byStatus = new JsonObject();
                long total = 0;
                for (Map.Entry<SessionState, Long> e : counts.entrySet()) {
                    byStatus.put(e.getKey().wireName(), e.getValue());
                    total += e.getValue();
                }
                Replies.json(ctx, 200, new JsonObject().put("counts", byStatus).put("total", total));
            })
            .onFailure(ctx::fail);
    }

    private static String providerParam(RoutingContext ctx) {
        return Requests.query(ctx, "provider", 64);
    }

    /** An ISO-8601 instant query parameter ({@code 2026-05-01T12:00:00Z}, an offset allowed), or null when absent. */
    private static Instant instantParam(RoutingContext ctx, String name) {
        String v = Requests.query(ctx, name, 64);
        if (v == null) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new ApiException(ErrorCode.INVALID_INPUT, name + " must be an ISO-8601 instant such as "
                + "2026-05-01T12:00:00Z");
        }
    }

    private void getSession(RoutingContext ctx) {
        Caller caller = Auth.caller(ctx);
        sessions.get(Requests.id(ctx), caller)
            .compose(s -> sessions.queuePlace(s).map(q -> caller.kind() == Kind.OPERATOR
                ? SessionViews.operator(s, q) : SessionViews.of(s, q)))
            .onSuccess(v -> Replies.json(ctx, 200, v))
            .onFailure(ctx::fail);
    }

    private void streamSession(RoutingContext ctx) {
        UUID id = Requests.id(ctx);
        sessions.get(id, Auth.caller(ctx))
            .onSuccess(s -> stream.open(ctx, s))
            .onFailure(ctx::fail);
    }

    private void getTimeline(RoutingContext ctx) {
        long after = Requests.intParam(ctx, "after", 0, 0, Integer.MAX_VALUE);
        UUID id = Requests.id(ctx);
        sessions.timeline(id, after)
            .onSuccess(events -> {
                JsonArray a = new JsonArray();
                events.forEach(e -> a.add(timelineJson(e)));
                Replies.json(ctx, 200, new JsonObject().put("sessionId", id.toString()).put("events", a));
            })
            .onFailure(ctx::fail);
    }

    static JsonObject timelineJson(SessionEvent e) {
        return new JsonObject().put("seq", e.seq()).put("at", e.at().toString()).put("kind", e.kind())
            .put("fromStatus", e.from() == null ? null : e.from().wireName())
            .put("toStatus", e.to() == null ? null : e.to().wireName())
            .put("agentSeq", e.agentSeq()).put("detail", e.detail());
    }

    private void relayCallback(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "url");
        sessions.callback(Requests.id(ctx), Auth.caller(ctx), Requests.userStep(body, "url", 8192))
            .onSuccess(r -> Replies.json(ctx, 202, new JsonObject().put("accepted", true)))
            .onFailure(ctx::fail);
    }

    private void submitCode(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "code");
        sessions.code(Requests.id(ctx), Auth.caller(ctx), Requests.userStep(body, "code", 4096))
            .onSuccess(r -> Replies.json(ctx, 200, new JsonObject().put("accepted", true)))
            .onFailure(ctx::fail);
    }

    private void cancelSession(RoutingContext ctx) {
        sessions.cancel(Requests.id(ctx), Auth.caller(ctx))
            .onSuccess(s -> Replies.json(ctx, 200, SessionViews.of(s)))
            .onFailure(ctx::fail);
    }
}

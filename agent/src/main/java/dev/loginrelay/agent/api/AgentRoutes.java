package dev.loginrelay.agent.api;

import dev.loginrelay.agent.doctor.Doctor;
import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.run.RunService;
import dev.loginrelay.agent.run.RunState;
import dev.loginrelay.agent.run.WorkspaceHome;
import dev.loginrelay.agent.support.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The agent's HTTP API. Parse → call the service → reply; no PTY, process or file code here. Everything but
 * {@code /health} needs the agent's bearer token.
 */
public final class AgentRoutes {
    private static final Logger log = LoggerFactory.getLogger(AgentRoutes.class);
    private static final int BODY_LIMIT = 64 * 1024;
    private static final long MAX_WAIT_MS = 60_000;

    private final Vertx vertx;
    private final RunService runs;
    private final ProviderCatalog catalog;
    private final Doctor doctor;
    private final String version;
    private final CredentialRoutes credentials;

    public AgentRoutes(Vertx vertx, RunService runs, WorkspaceHome workspace, ProviderCatalog catalog, Doctor doctor,
                       String version) {
        this.vertx = vertx;
        this.runs = runs;
        this.credentials = new CredentialRoutes(runs, workspace);
        this.catalog = catalog;
        this.doctor = doctor;
        this.version = version;
    }

    public Router router(Secret token) {
        return router(() -> token, t -> {
            throw new ApiException(ErrorCode.BAD_REQUEST, "this agent's token cannot be replaced");
        });
    }

    /**
     * {@code token} is asked on every request, so the agent can swap it (SIGHUP re-reads the token file);
     * {@code replace} takes a new one given through {@code PUT /api/v1/token}.
     */
    public Router router(Supplier<Secret> token, Consumer<Secret> replace) {
        Router r = Router.router(vertx);
        r.route().handler(this::accessLog);
        r.route().handler(RequestGuard::checkQuery);
        r.get("/health").handler(this::health);
        r.route("/api/v1/*").handler(new BearerAuth(token));
        r.route("/api/v1/*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        r.get("/api/v1/providers").handler(this::listProviders);
        r.get("/api/v1/doctor").handler(this::runDoctor);
        r.post("/api/v1/runs").handler(this::startRun);
        r.get("/api/v1/runs").handler(this::listRuns);
        r.get("/api/v1/runs/:id").handler(this::getRun);
        r.get("/api/v1/runs/:id/events").handler(this::getEvents);
        r.post("/api/v1/runs/:id/callback").handler(this::relayCallback);
        r.post("/api/v1/runs/:id/code").handler(this::submitCode);
        r.post("/api/v1/runs/:id/cancel").handler(this::cancelRun);
        credentials.mount(r);
        new TokenRoutes(replace).mount(r);
        FailureHandler failures = new FailureHandler();
        r.route().failureHandler(failures);
        r.errorHandler(404, failures);
        r.errorHandler(405, failures);
        return r;
    }

    /** Path-only access log: the built-in formats log the query string, which can carry an OAuth code. */
    private void accessLog(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> log.debug("{} {} {} {}ms", ctx.request().method(), ctx.request().path(),
            ctx.response().getStatusCode(), (System.nanoTime() - start) / 1_000_000));
        ctx.next();
    }

    private void health(RoutingContext ctx) {
        JsonObject ahead = runs.startedAhead();
        JsonObject health = new JsonObject().put("status", "ok").put("version", version);
        if (!ahead.isEmpty()) {
            health.put("startedAhead", ahead);
        }
        Replies.json(ctx, 200, health);
    }

    private void listProviders(RoutingContext ctx) {
        JsonArray a = new JsonArray();
        catalog.all().forEach(p -> a.add(ProviderViews.of(p)));
        Replies.json(ctx, 200, new JsonObject().put("providers", a));
    }

    private void runDoctor(RoutingContext ctx) {
        doctor.check()
            .onSuccess(report -> Replies.json(ctx, 200, report))
            .onFailure(ctx::fail);
    }

    private void startRun(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "sessionId", "provider");
        runs.start(Requests.string(body, "sessionId"), Requests.string(body, "provider"))
            .onSuccess(s -> Replies.json(ctx, s.created() ? 201 : 200, s.view()))
            .onFailure(ctx::fail);
    }

    private void listRuns(RoutingContext ctx) {
        Replies.json(ctx, 200, new JsonObject().put("runs", runs.list()));
    }

    private void getRun(RoutingContext ctx) {
        Replies.json(ctx, 200, runs.view(ctx.pathParam("id")));
    }

    private void getEvents(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        long after = Requests.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
        String accept = ctx.request().getHeader("Accept");
        if (accept != null && accept.contains("text/event-stream")) {
            streamEvents(ctx, id, after);
            return;
        }
        long waitMs = Requests.longParam(ctx, "waitMs", 0, 0, MAX_WAIT_MS);
        runs.events(id, after, waitMs)
            .onSuccess(page -> Replies.json(ctx, 200, page))
            .onFailure(ctx::fail);
    }

    /**
     * Server-Sent Events from {@code after}; the stream ends after the terminal event, or at once when the run has
     * already ended and nothing after {@code after} is left (a client reconnecting with the terminal event's id).
     */
    private void streamEvents(RoutingContext ctx, String id, long after) {
        runs.view(id); // fails with RUN_NOT_FOUND before any byte is sent
        HttpServerResponse res = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
            .putHeader("Cache-Control", "no-store");
        // Send the head now: a quiet run would otherwise hold back the 200 until its next event.
        res.writeHead();
        Runnable end = () -> {
            if (!res.ended() && !res.closed()) {
                res.end();
            }
        };
        long keepAlive = vertx.setPeriodic(15_000, t -> res.write(": keep-alive\n\n"));
        long[] sent = {after};
        Runnable[] stop = new Runnable[1];
        stop[0] = runs.stream(id, after, e -> {
            if (res.ended() || res.closed()) {
                return;
            }
            long seq = e.getLong("seq");
            // Live events reach every listener; skip those at or below what this client already has.
            if (seq > sent[0]) {
                sent[0] = seq;
                res.write("id: " + seq + "\nevent: " + e.getString("kind") + "\ndata: " + e.encode() + "\n\n");
            }
            if (RunState.fromWire(e.getString("state")).isTerminal()) {
                vertx.runOnContext(v -> end.run());
            }
        });
        if (runs.isTerminal(id)) {
            vertx.runOnContext(v -> end.run());
        }
        res.closeHandler(v -> {
            vertx.cancelTimer(keepAlive);
            stop[0].run();
        });
        res.endHandler(v -> {
            vertx.cancelTimer(keepAlive);
            stop[0].run();
        });
    }

    private void relayCallback(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "url");
        runs.callback(ctx.pathParam("id"), Requests.userStep(body, "url"))
            .onSuccess(result -> Replies.json(ctx, 202, result))
            .onFailure(ctx::fail);
    }

    private void submitCode(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "code");
        runs.code(ctx.pathParam("id"), Requests.userStep(body, "code"))
            .onSuccess(result -> Replies.json(ctx, 200, result))
            .onFailure(ctx::fail);
    }

    private void cancelRun(RoutingContext ctx) {
        runs.cancel(ctx.pathParam("id"))
            .onSuccess(view -> Replies.json(ctx, 200, view))
            .onFailure(ctx::fail);
    }
}

package dev.loginrelay.controller.api;

import dev.loginrelay.controller.credentials.CredentialService;
import dev.loginrelay.controller.credentials.SealedExport;
import dev.loginrelay.controller.model.Caller.Kind;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Credentials in custody under {@code /api/v1/credentials}: the product's backend (API key) installs, exports
 * (sealed) and revokes a user's credentials; operators read metadata and events. No reply carries a file in clear.
 */
public final class CredentialRoutes {
    private static final int BODY_LIMIT = 64 * 1024;
    private static final String ONE = "/api/v1/credentials/:userId/:provider";

    private final CredentialService credentials;
    private final SessionService sessions;
    private final Auth auth;

    public CredentialRoutes(CredentialService credentials, SessionService sessions, Secret apiKey,
                            Secret operatorToken) {
        this.credentials = credentials;
        this.sessions = sessions;
        this.auth = new Auth(apiKey, operatorToken, sessions);
    }

    public void mount(Router r) {
        r.route("/api/v1/credentials*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
        r.route("/api/v1/credentials*").handler(auth::authenticate);
        r.get("/api/v1/credentials").handler(Auth.require(Kind.OPERATOR)).handler(this::listCredentials);
        r.get(ONE).handler(Auth.require(Kind.API_KEY)).handler(this::exportCredentials);
        r.delete(ONE).handler(Auth.require(Kind.API_KEY)).handler(this::revokeCredentials);
        r.get(ONE + "/status").handler(Auth.require(Kind.API_KEY, Kind.OPERATOR)).handler(this::getStatus);
        r.get(ONE + "/events").handler(Auth.require(Kind.API_KEY, Kind.OPERATOR)).handler(this::getEvents);
        // Authenticated by SessionRoutes' /api/v1/auth-sessions* guard (mounted first): the session's own token works.
        r.get("/api/v1/auth-sessions/:id/credentials").handler(this::getSessionCredentials);
        r.post(ONE + "/install").handler(Auth.require(Kind.API_KEY)).handler(this::installCredentials);
    }

    private void listCredentials(RoutingContext ctx) {
        int limit = Requests.intParam(ctx, "limit", 100, 1, 1000);
        credentials.list(limit)
            .onSuccess(list -> {
                JsonArray a = new JsonArray();
                list.forEach(c -> a.add(CredentialViews.of(c)));
                Replies.json(ctx, 200, new JsonObject().put("credentials", a));
            })
            .onFailure(ctx::fail);
    }

    private void exportCredentials(RoutingContext ctx) {
        credentials.export(ctx.pathParam("userId"), ctx.pathParam("provider"))
            .onSuccess(e -> Replies.json(ctx, 200, CredentialViews.of(e.record()).put("export", new JsonObject()
                .put("format", "jwe").put("contentType", SealedExport.CONTENT_TYPE).put("algorithm", e.algorithm())
                .put("recipient", e.recipient()).put("jwe", e.jwe()))))
            .onFailure(ctx::fail);
    }

    private void revokeCredentials(RoutingContext ctx) {
        credentials.revoke(ctx.pathParam("userId"), ctx.pathParam("provider"))
            .onSuccess(r -> Replies.json(ctx, 200, CredentialViews.of(r)))
            .onFailure(ctx::fail);
    }

    private void getStatus(RoutingContext ctx) {
        credentials.status(ctx.pathParam("userId"), ctx.pathParam("provider"))
            .onSuccess(r -> Replies.json(ctx, 200, CredentialViews.of(r)))
            .onFailure(ctx::fail);
    }

    private void getEvents(RoutingContext ctx) {
        credentials.events(ctx.pathParam("userId"), ctx.pathParam("provider"))
            .onSuccess(a -> Replies.json(ctx, 200, new JsonObject().put("events", a)))
            .onFailure(ctx::fail);
    }

    private void getSessionCredentials(RoutingContext ctx) {
        sessions.get(Requests.id(ctx), Auth.caller(ctx))
            .compose(credentials::ofSession)
            .onSuccess(v -> Replies.json(ctx, 200, v))
            .onFailure(ctx::fail);
    }

    private void installCredentials(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "workspace");
        String workspace = Requests.string(body, "workspace", 64);
        credentials.install(ctx.pathParam("userId"), ctx.pathParam("provider"), workspace)
            .onSuccess(i -> Replies.json(ctx, 200, CredentialViews.of(i.record()).put("verified", i.verified())
                .put("verifyMessage", i.message())))
            .onFailure(ctx::fail);
    }
}

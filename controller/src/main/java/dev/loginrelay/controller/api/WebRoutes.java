package dev.loginrelay.controller.api;

import dev.loginrelay.controller.metrics.SessionMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's router: a path-only access log, health, Prometheus metrics, the OpenAPI document, the pages
 * (static files, no build step) with the Connect page's demo backend, and the session API, with one failure handler
 * for all of them.
 */
public final class WebRoutes {
    private static final Logger log = LoggerFactory.getLogger(WebRoutes.class);
    private final Vertx vertx;
    private final SessionMetrics metrics;
    private final java.util.function.Supplier<io.vertx.core.Future<Void>> beforeScrape;

    public WebRoutes(Vertx vertx, SessionMetrics metrics, java.util.function.Supplier<io.vertx.core.Future<Void>> beforeScrape) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.beforeScrape = beforeScrape;
    }

    public Router router(SessionRoutes api, CredentialRoutes credentials, UiRoutes ui) {
        Router r = Router.router(vertx);
        r.route().handler(WebRoutes::accessLog);
        r.route().handler(RequestGuard::checkQuery);
        r.get("/health").handler(ctx -> Replies.json(ctx, 200, new JsonObject().put("status", "ok")));
        r.get("/metrics").handler(this::scrape);
        r.get("/api/v1/openapi.json").handler(this::openApi);
        api.mount(r);
        credentials.mount(r);
        ui.mount(r);
        r.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
        FailureHandler failures = new FailureHandler();
        r.route().failureHandler(failures);
        r.errorHandler(404, failures);
        r.errorHandler(405, failures);
        return r;
    }

    /** Path only: the built-in formats log the query string, which may carry an access token on the event stream. */
    private static void accessLog(RoutingContext ctx) {
        long t0 = System.nanoTime();
        ctx.addEndHandler(v -> log.debug("{} {} {} {}ms", ctx.request().method(), ctx.request().path(),
            ctx.response().getStatusCode(), (System.nanoTime() - t0) / 1_000_000));
        ctx.next();
    }

    private void openApi(RoutingContext ctx) {
        vertx.fileSystem().readFile("openapi/openapi.json")
            .onSuccess(b -> ctx.response().putHeader("Content-Type", "application/json").end(b))
            .onFailure(ctx::fail);
    }

    private void scrape(RoutingContext ctx) {
        beforeScrape.get().onComplete(ar -> ctx.response()
            .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
    }
}

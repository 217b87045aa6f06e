package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** JSON replies. Every body is an object; errors are {@code {"error":{"code","message"}}}. */
final class Replies {
    private Replies() {
    }

    static void json(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store")
            .end(body instanceof JsonObject j ? j.encode() : String.valueOf(body));
    }

    static void error(RoutingContext ctx, ErrorCode code, String message) {
        if (ctx.response().ended()) {
            return;
        }
        json(ctx, code.httpStatus(), new JsonObject().put("error",
            new JsonObject().put("code", code.name()).put("message", message)));
    }
}

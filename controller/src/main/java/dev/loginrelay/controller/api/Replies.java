package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** JSON replies; errors are {@code {"error":{"code","message"}}} (Flyway {@code FlywayErrorOutputItem}). */
final class Replies {
    private Replies() {
    }

    static void json(RoutingContext ctx, int status, Object body) {
        if (ctx.response().ended()) {
            return;
        }
        String text = body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode()
            : String.valueOf(body);
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store").end(text);
    }

    static void error(RoutingContext ctx, ErrorCode code, String message) {
        json(ctx, code.httpStatus(), new JsonObject().put("error",
            new JsonObject().put("code", code.name()).put("message", message)));
    }
}

package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's one failure handler (Hono {@code DefaultFailureHandler}): {@link ApiException} → its status and code;
 * a Vert.x {@link HttpException} or status (413 from the body limit, 404, 405) → the matching code; anything else →
 * 500 with a generic message, logged once with its stack. Never a stack trace or a secret in a body.
 */
final class FailureHandler implements Handler<RoutingContext> {
    private static final Logger log = LoggerFactory.getLogger(FailureHandler.class);

    @Override
    public void handle(RoutingContext ctx) {
        Throwable f = ctx.failure();
        if (f instanceof ApiException e) {
            log.debug("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), e.code().httpStatus(), e.code());
            Replies.error(ctx, e.code(), e.getMessage());
            return;
        }
        int status = f instanceof HttpException h ? h.getStatusCode() : ctx.statusCode();
        switch (status) {
            case 400 -> Replies.error(ctx, ErrorCode.BAD_REQUEST, "bad request");
            case 401 -> Replies.error(ctx, ErrorCode.UNAUTHORIZED, "missing or wrong bearer token");
            case 404 -> Replies.error(ctx, ErrorCode.NOT_FOUND, "no such endpoint: " + ctx.request().path());
            case 405 -> Replies.error(ctx, ErrorCode.METHOD_NOT_ALLOWED,
                ctx.request().method() + " is not allowed on " + ctx.request().path());
            case 413 -> Replies.error(ctx, ErrorCode.PAYLOAD_TOO_LARGE, "request body is larger than 64 KiB");
            case 415 -> Replies.error(ctx, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json");
            default -> {
                if (RequestGuard.isClientFault(f)) {
                    log.warn("{} {} -> 400: the request could not be read: {}", ctx.request().method(),
                        ctx.request().path(), f.toString());
                    if (!ctx.response().closed() && !ctx.response().ended()) {
                        Replies.error(ctx, ErrorCode.BAD_REQUEST, "the request could not be read");
                    }
                    return;
                }
                log.error("{} {} failed", ctx.request().method(), ctx.request().path(), f);
                Replies.error(ctx, ErrorCode.INTERNAL, "internal error; see the agent log");
            }
        }
    }
}

package dev.loginrelay.agent.api;

import dev.loginrelay.agent.support.Secret;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Objects;

/** Requires {@code Authorization: Bearer <token>}; compared in constant time (see {@link Secret#matches}). */
final class BearerAuth implements Handler<RoutingContext> {
    private static final String PREFIX = "Bearer ";
    private final Secret token;

    BearerAuth(Secret token) {
        this.token = Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token cannot be empty");
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || !h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            ctx.fail(new ApiException(ErrorCode.UNAUTHORIZED, "missing Authorization: Bearer <token> header"));
        } else if (!token.matches(h.substring(PREFIX.length()).strip())) {
            ctx.fail(new ApiException(ErrorCode.UNAUTHORIZED, "wrong bearer token"));
        } else {
            ctx.next();
        }
    }
}

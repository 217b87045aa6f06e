package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.support.Secret;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * Requires {@code Authorization: Bearer <token>}; compared in constant time (see {@link Secret#matches}). The token
 * is read from {@code token} on each request, so a re-keyed agent (a VM clone restored from a snapshot) takes the
 * new one without a restart.
 */
final class BearerAuth implements Handler<RoutingContext> {
    private static final String PREFIX = "Bearer ";
    private final Supplier<Secret> token;

    BearerAuth(Supplier<Secret> token) {
        this.token = Objects.requireNonNull(token, "token");
        if (Objects.requireNonNull(token.get(), "token").isEmpty()) {
            throw new IllegalArgumentException("token cannot be empty");
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || !h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            ctx.fail(new ApiException(ErrorCode.UNAUTHORIZED, "missing Authorization: Bearer <token> header"));
        } else if (!token.get().matches(h.substring(PREFIX.length()).strip())) {
            ctx.fail(new ApiException(ErrorCode.UNAUTHORIZED, "wrong bearer token"));
        } else {
            ctx.next();
        }
    }
}

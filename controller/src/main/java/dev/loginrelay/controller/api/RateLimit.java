package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.Map;

/**
 * A fixed-window limit per client address and one for everyone together (so many addresses cannot add up). Used on
 * the demo backend, which creates sessions (an agent, a CLI) for callers without a credential. On the event loop
 * only, so no locking.
 */
final class RateLimit implements Handler<RoutingContext> {
    private static final long WINDOW_NANOS = 60_000_000_000L;
    private static final int MAX_CLIENTS = 10_000;

    private final int perClient;
    private final int total;
    private final Map<String, Integer> counts = new HashMap<>();
    private long windowStart = System.nanoTime();
    private int all;

    RateLimit(int perClientPerMinute, int totalPerMinute) {
        this.perClient = perClientPerMinute;
        this.total = totalPerMinute;
    }

    @Override
    public void handle(RoutingContext ctx) {
        long now = System.nanoTime();
        if (now - windowStart >= WINDOW_NANOS || counts.size() > MAX_CLIENTS) {
            counts.clear();
            all = 0;
            windowStart = now;
        }
        String client = ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
        int mine = counts.merge(client, 1, Integer::sum);
        all++;
        if (mine > perClient || all > total) {
            long retry = Math.max(1, (WINDOW_NANOS - (now - windowStart)) / 1_000_000_000L);
            ctx.response().putHeader("Retry-After", Long.toString(retry));
            ctx.fail(new ApiException(ErrorCode.TOO_MANY_REQUESTS, "too many sessions created from here; at most "
                + perClient + " a minute per address and " + total + " in all; retry in " + retry + " s"));
            return;
        }
        ctx.next();
    }
}

package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.Caller;
import dev.loginrelay.controller.session.SessionService;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * Establishes the {@link Caller} from {@code Authorization: Bearer <token>} (or {@code ?access_token=} on the
 * event stream, because a browser's EventSource cannot send headers): the API key, the operator token (both compared
 * in constant time), or a session token (looked up by its hash). {@link #require} guards a route to some kinds.
 */
final class Auth {
    static final String CALLER = "caller";
    private static final String PREFIX = "Bearer ";

    private final Secret apiKey;
    private final Secret operatorToken;
    private final SessionService sessions;

    Auth(Secret apiKey, Secret operatorToken, SessionService sessions) {
        this.apiKey = apiKey;
        this.operatorToken = operatorToken;
        this.sessions = sessions;
    }

    /** Resolves the caller; 401 when there is no token or it is unknown. */
    void authenticate(RoutingContext ctx) {
        String header = headerToken(ctx);
        String token = header != null ? header : queryToken(ctx);
        if (token == null) {
            ctx.fail(new ApiException(ErrorCode.UNAUTHORIZED, "missing Authorization: Bearer <token> header"));
        } else if (header == null) {
            // ?access_token= ends up in browser history and proxy logs: it carries session tokens only, which are
            // worth one session for its few minutes, never the API key or the operator token.
            sessions.sessionOfToken(token).onSuccess(id -> {
                ctx.put(CALLER, Caller.session(id));
                ctx.next();
            }).onFailure(ctx::fail);
        } else if (apiKey.matches(token)) {
            ctx.put(CALLER, Caller.apiKey());
            ctx.next();
        } else if (operatorToken.matches(token)) {
            ctx.put(CALLER, Caller.operator());
            ctx.next();
        } else {
            sessions.sessionOfToken(token).onSuccess(id -> {
                ctx.put(CALLER, Caller.session(id));
                ctx.next();
            }).onFailure(ctx::fail);
        }
    }

    private static String headerToken(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h != null && h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            String t = h.substring(PREFIX.length()).strip();
            return t.isEmpty() || t.length() > 512 ? null : t;
        }
        return null;
    }

    /** {@code ?access_token=} on the event stream only (a browser's EventSource cannot send headers). */
    private static String queryToken(RoutingContext ctx) {
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET && ctx.request().path().endsWith("/events")) {
            String q = ctx.request().getParam("access_token");
            return q == null || q.isEmpty() || q.length() > 512 ? null : q;
        }
        return null;
    }

    /** The callers that act for a user: the session's own token and the product's backend (API key). */
    static Handler<RoutingContext> userStep() {
        return require(Caller.Kind.SESSION, Caller.Kind.API_KEY);
    }

    /** A guard that lets only these kinds of callers through (403 otherwise). */
    static Handler<RoutingContext> require(Caller.Kind... kinds) {
        Set<Caller.Kind> allowed = Set.of(kinds);
        return ctx -> {
            Caller c = ctx.get(CALLER);
            if (c != null && allowed.contains(c.kind())) {
                ctx.next();
            } else {
                ctx.fail(new ApiException(ErrorCode.FORBIDDEN, "this endpoint needs "
                    + (allowed.contains(Caller.Kind.OPERATOR) && allowed.size() == 1 ? "the operator token"
                    : allowed.contains(Caller.Kind.API_KEY) && allowed.size() == 1 ? "the API key"
                    : allowed.equals(Set.of(Caller.Kind.SESSION, Caller.Kind.API_KEY))
                    ? "the session's token or the API key" : "another credential")));
            }
        };
    }

    static Caller caller(RoutingContext ctx) {
        return ctx.get(CALLER);
    }
}

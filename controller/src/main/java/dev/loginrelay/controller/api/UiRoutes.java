package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.session.SessionService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The demo backend of the bundled Connect page ({@code webroot/index.html}). {@code POST /ui/sessions {"provider"}}
 * creates a session on the page's behalf with the controller's own authority, as the product's backend does with the
 * API key, so the key never reaches a browser; the reply is the created session with its session token, which the
 * page then uses for everything else. The user is a cookie-less demo identity the page keeps in localStorage and sends
 * as {@code X-Demo-User}. It must look like {@code demo-<letters, digits, _ or ->}, so this endpoint can only ever
 * create sessions of demo users, never of the product's real users.
 *
 * <p>A page on another origin cannot call it: a JSON body and a custom header need a CORS preflight, which nothing
 * here answers. It is off (404 saying so) unless {@code LOGINRELAY_UI_DEMO=true}, and rate-limited when on.
 */
public final class UiRoutes {
    static final String USER_HEADER = "X-Demo-User";
    private static final Pattern DEMO_USER = Pattern.compile("demo-[A-Za-z0-9_-]{1,40}");
    private static final int BODY_LIMIT = 4 * 1024;
    /** Each created session starts an agent and a CLI: a page needs a handful, a flood gets 429. */
    static final int PER_CLIENT_PER_MINUTE = 10;
    static final int TOTAL_PER_MINUTE = 60;

    private final SessionService sessions;
    private final boolean enabled;

    public UiRoutes(SessionService sessions, boolean enabled) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.enabled = enabled;
    }

    public void mount(Router r) {
        if (!enabled) {
            r.post("/ui/sessions").handler(ctx -> ctx.fail(new ApiException(ErrorCode.NOT_FOUND,
                "the Connect page's demo backend is off (LOGINRELAY_UI_DEMO=false); sessions are created by the "
                    + "product's backend with the API key")));
            return;
        }
        // Vert.x wants the body handler first on a route; the body is at most 4 KiB.
        r.post("/ui/sessions").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT))
            .handler(new RateLimit(PER_CLIENT_PER_MINUTE, TOTAL_PER_MINUTE))
            .handler(this::createSession);
    }

    private void createSession(RoutingContext ctx) {
        String user = demoUser(ctx);
        JsonObject body = Requests.body(ctx, "provider");
        String provider = Requests.string(body, "provider", 64);
        sessions.create(user, provider, null)
            .onSuccess(c -> Replies.json(ctx, 201,
                SessionViews.of(c.session()).put("sessionToken", c.sessionToken())))
            .onFailure(ctx::fail);
    }

    private static String demoUser(RoutingContext ctx) {
        String user = ctx.request().getHeader(USER_HEADER);
        if (user == null || !DEMO_USER.matcher(user).matches()) {
            throw new ApiException(ErrorCode.INVALID_INPUT, USER_HEADER + " must look like demo-<1..40 letters, "
                + "digits, _ or ->");
        }
        return user;
    }
}

package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.support.Secret;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@code PUT /api/v1/token}: the holder of the current token gives the agent a new one, which alone is accepted from
 * the next request on. Sandboxes booted ahead from one template share a bootstrap token; the controller re-keys the
 * one it claims, so the others' token opens nothing of this session. Authenticated like every {@code /api/v1} route.
 * The new token is kept in memory only (a restarted agent process has lost its runs anyway).
 */
final class TokenRoutes {
    private static final Logger log = LoggerFactory.getLogger(TokenRoutes.class);
    /** URL-safe characters, 32 to 256 of them (a 256-bit random value is 43 in base64url). */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~-]{32,256}");

    private final Consumer<Secret> replace;

    TokenRoutes(Consumer<Secret> replace) {
        this.replace = replace;
    }

    void mount(Router r) {
        r.put("/api/v1/token").handler(this::replaceToken);
    }

    private void replaceToken(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "token");
        Object v = body.getValue("token");
        if (!(v instanceof String s) || !TOKEN.matcher(s).matches()) {
            // Never the value: it is (meant to be) a secret.
            throw new ApiException(ErrorCode.BAD_REQUEST,
                "field 'token' must be 32 to 256 characters of A-Z, a-z, 0-9, '.', '_', '~' or '-'");
        }
        replace.accept(Secret.of(s));
        log.info("API token replaced through the API; the previous one no longer works");
        Replies.json(ctx, 200, new JsonObject().put("replaced", true));
    }
}

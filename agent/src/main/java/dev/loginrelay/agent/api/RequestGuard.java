package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client can get wrong before any route runs: a request the HTTP decoder could not read, and a query string
 * that is not valid percent-encoding. A JSON 400 where the connection allows one, and a WARN without a stack trace.
 */
public final class RequestGuard {
    private static final Logger log = LoggerFactory.getLogger(RequestGuard.class);

    /** A {@code %} not followed by two hex digits. */
    private static final java.util.regex.Pattern BAD_ESCAPE = java.util.regex.Pattern.compile("%(?![0-9A-Fa-f]{2})");

    private RequestGuard() {
    }

    static void checkQuery(RoutingContext ctx) {
        if (ctx.request().headers().contains("Content-Length")
            && ctx.request().headers().contains("Transfer-Encoding")) {
            // Two framings for one body is how requests are smuggled past a proxy (RFC 9112 section 6.1).
            log.warn("{} {} -> 400: Content-Length together with Transfer-Encoding", ctx.request().method(),
                ctx.request().path());
            ctx.response().putHeader("Connection", "close");
            ctx.fail(new ApiException(ErrorCode.BAD_REQUEST, "Content-Length together with Transfer-Encoding"));
            return;
        }
        if (BAD_ESCAPE.matcher(ctx.request().path()).find()) {
            // Vert.x's path normalisation would throw on it while matching routes ("Unhandled exception in router").
            log.warn("{} -> 400: the path is not valid percent-encoding", ctx.request().method());
            ctx.fail(new ApiException(ErrorCode.BAD_REQUEST, "the path is not valid percent-encoding"));
            return;
        }
        try {
            ctx.request().params();
            ctx.queryParams();
        } catch (IllegalArgumentException e) {
            log.warn("{} {} -> 400: the query string is not valid percent-encoding", ctx.request().method(),
                ctx.request().path());
            ctx.fail(new ApiException(ErrorCode.BAD_REQUEST, "the query string is not valid percent-encoding"));
            return;
        }
        ctx.next();
    }

    /** {@code HttpServer.invalidRequestHandler}. */
    public static void invalidRequest(HttpServerRequest req) {
        Throwable cause = req.decoderResult().cause();
        int status = cause instanceof io.netty.handler.codec.TooLongFrameException
            ? (String.valueOf(cause.getMessage()).contains("header") ? 431 : 414) : 400;
        log.warn("malformed HTTP request from {} -> {}: {}", req.remoteAddress(), status,
            cause == null ? "undecodable" : cause.getMessage());
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .putHeader("Connection", "close")
            .end("{\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"malformed HTTP request\"}}")
            .onComplete(ar -> req.connection().close());
    }

    /** A failure that is the client's broken request (framing, a closed connection), not our bug. */
    static boolean isClientFault(Throwable f) {
        return f instanceof NumberFormatException || f instanceof io.netty.handler.codec.DecoderException
            || f instanceof io.netty.handler.codec.TooLongFrameException
            || f instanceof io.vertx.core.http.HttpClosedException
            || f instanceof java.nio.channels.ClosedChannelException || f instanceof io.vertx.core.VertxException
            && String.valueOf(f.getMessage()).contains("closed");
    }

    /** {@code HttpServer.exceptionHandler}. */
    public static void connectionError(Throwable t) {
        log.warn("HTTP connection failed: {}", t.toString());
    }
}

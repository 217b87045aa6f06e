package dev.loginrelay.controller.api;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.session.SessionService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * Server-Sent Events of one session: the current view at once, then a new view on every change, wherever it was made
 * ({@link SessionService#onChange}: PostgreSQL NOTIFY from any replica); the stream ends after a
 * terminal status. A slow re-read every few seconds covers a missed notification.
 */
public final class SessionStream {
    private static final long RECHECK_MS = 5000;
    private static final long KEEPALIVE_MS = 15000;

    private final Vertx vertx;
    private final SessionService sessions;

    public SessionStream(Vertx vertx, SessionService sessions) {
        this.vertx = vertx;
        this.sessions = sessions;
    }

    void open(RoutingContext ctx, AuthSession first) {
        HttpServerResponse res = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
            .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
        State st = new State(res, first.sessionId());
        send(st, first);
        if (first.status().isTerminal()) {
            res.end();
            return;
        }
        st.changes = sessions.onChange(vertx, first.sessionId(), () -> reread(st));
        st.recheck = vertx.setPeriodic(RECHECK_MS, t -> reread(st));
        st.keepalive = vertx.setPeriodic(KEEPALIVE_MS, t -> {
            if (!res.ended() && !res.closed()) {
                res.write(": keep-alive\n\n");
            }
        });
        res.closeHandler(v -> close(st));
        res.endHandler(v -> close(st));
    }

    private static final class State {
        final HttpServerResponse res;
        final UUID id;
        long version = -1;
        AutoCloseable changes;
        long recheck = -1;
        long keepalive = -1;

        State(HttpServerResponse res, UUID id) {
            this.res = res;
            this.id = id;
        }
    }

    private void reread(State st) {
        sessions.find(st.id).onSuccess(o -> o.ifPresent(s -> {
            if (s.version() > st.version && !st.res.ended() && !st.res.closed()) {
                send(st, s);
                if (s.status().isTerminal()) {
                    st.res.end();
                }
            }
        }));
    }

    private static void send(State st, AuthSession s) {
        st.version = s.version();
        st.res.write("id: " + s.version() + "\nevent: session\ndata: " + SessionViews.of(s).encode() + "\n\n");
    }

    private void close(State st) {
        if (st.changes != null) {
            try {
                st.changes.close();
            } catch (Exception e) {
                // unregistering a local consumer does not fail; nothing to undo
            }
            st.changes = null;
        }
        vertx.cancelTimer(st.recheck);
        vertx.cancelTimer(st.keepalive);
    }
}

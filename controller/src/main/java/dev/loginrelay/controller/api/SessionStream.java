package dev.loginrelay.controller.api;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.QueuePlace;
import dev.loginrelay.controller.session.SessionService;
import io.vertx.core.Future;
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
        if (first.status().isTerminal()) {
            send(st, first, java.util.Optional.empty());
            res.end();
            return;
        }
        st.version = first.version() - 1; // the first reread sends it, with its place in the queue
        st.changes = sessions.onChange(vertx, first.sessionId(), () -> reread(st));
        st.recheck = vertx.setPeriodic(RECHECK_MS, t -> reread(st));
        reread(st);
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
        int position;
        AutoCloseable changes;
        long recheck = -1;
        long keepalive = -1;

        State(HttpServerResponse res, UUID id) {
            this.res = res;
            this.id = id;
        }
    }

    /** Sends the view when the session changed, or when it waits to start and its place in the queue moved. */
    private void reread(State st) {
        sessions.find(st.id).compose(o -> o.isEmpty() ? Future.succeededFuture()
                : sessions.queuePlace(o.get()).map(q -> {
                    AuthSession s = o.get();
                    int position = q.map(QueuePlace::position).orElse(0);
                    if ((s.version() > st.version || position != st.position) && !st.res.ended()
                        && !st.res.closed()) {
                        send(st, s, q);
                        if (s.status().isTerminal()) {
                            st.res.end();
                        }
                    }
                    return null;
                }));
    }

    private static void send(State st, AuthSession s, java.util.Optional<QueuePlace> q) {
        st.version = s.version();
        st.position = q.map(QueuePlace::position).orElse(0);
        st.res.write("id: " + s.version() + "\nevent: session\ndata: " + SessionViews.of(s, q).encode() + "\n\n");
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

package dev.loginrelay.controller.session;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.metrics.SessionMetrics;
import dev.loginrelay.controller.store.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Moves overdue sessions to {@code timeout} with one UPDATE per tick (deadlines live in the database, so a restart
 * loses no timer; HikariCP HouseKeeper, Nomad heartbeat timers rebuilt from state), then stops their runs on the
 * agents. Safe on every replica at once: the store's statement skips rows another replica holds. It also refreshes
 * the sessions-by-status gauge.
 */
public final class TimeoutSweeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimeoutSweeper.class);
    private static final int BATCH = 200;
    private static final long GAUGE_EVERY_MS = 10_000;

    private final Vertx vertx;
    private final SessionStore store;
    private final Dispatcher dispatch;
    private final SessionMoves moves;
    private final SessionMetrics metrics;
    private final long timer;
    private final long gaugeTimer;
    private boolean busy;

    public TimeoutSweeper(Vertx vertx, SessionStore store, SessionMoves moves, Dispatcher dispatch,
                          SessionMetrics metrics, Duration interval) {
        this.vertx = vertx;
        this.store = store;
        this.dispatch = dispatch;
        this.moves = moves;
        this.metrics = metrics;
        this.timer = vertx.setPeriodic(interval.toMillis(), t -> sweep());
        this.gaugeTimer = vertx.setPeriodic(GAUGE_EVERY_MS, t -> refreshGauge());
        refreshGauge();
    }

    private void sweep() {
        if (busy) {
            return;
        }
        busy = true;
        moves.timeoutOverdue(BATCH).onComplete(ar -> {
            busy = false;
            if (ar.failed()) {
                log.warn("timeout sweep failed: {}", ar.cause().getMessage());
                return;
            }
            for (AuthSession s : ar.result()) {
                dispatch.stopRun(s);
            }
        });
    }

    /** Re-reads the session counts into the gauge (also done before every scrape, so it is never stale). */
    public Future<Void> refreshGauge() {
        return store.countsByStatusAndProvider().map(counts -> {
            metrics.resetCounts();
            counts.forEach((k, n) -> {
                String[] sp = k.split("\\|", 2);
                metrics.sessionCount(sp[0], sp[1], n);
            });
            return null;
        });
    }

    @Override
    public void close() {
        vertx.cancelTimer(timer);
        vertx.cancelTimer(gaugeTimer);
    }
}

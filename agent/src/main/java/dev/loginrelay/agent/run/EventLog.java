package dev.loginrelay.agent.run;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * A run's ordered events, readable from any sequence number so a restarted controller loses nothing. Long-poll
 * readers and stream listeners are completed as events arrive. Used only on the run's Vert.x context.
 */
final class EventLog {
    /** A run has a few dozen events; this bound only guards against a CLI that loops on a prompt. */
    static final int MAX_EVENTS = 1000;

    private final Vertx vertx;
    private final List<RunEvent> events = new ArrayList<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final List<Consumer<RunEvent>> listeners = new ArrayList<>();

    private record Waiter(long after, Promise<List<RunEvent>> promise, long timerId) {
    }

    EventLog(Vertx vertx) {
        this.vertx = vertx;
    }

    RunEvent append(EventKind kind, RunState state, JsonObject detail) {
        long seq = events.isEmpty() ? 1 : events.get(events.size() - 1).seq() + 1;
        if (events.size() >= MAX_EVENTS) {
            events.remove(0);
        }
        RunEvent e = new RunEvent(seq, Instant.now(), kind, state, detail);
        events.add(e);
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (seq <= w.after()) {
                continue; // a reader ahead of the log waits for an event it has not seen, not for any event
            }
            vertx.cancelTimer(w.timerId());
            w.promise().tryComplete(after(w.after()));
            it.remove();
        }
        List.copyOf(listeners).forEach(l -> l.accept(e));
        return e;
    }

    long lastSeq() {
        return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
    }

    List<RunEvent> after(long seq) {
        List<RunEvent> out = new ArrayList<>();
        for (RunEvent e : events) {
            if (e.seq() > seq) {
                out.add(e);
            }
        }
        return out;
    }

    /** Events after {@code seq}; if there are none yet, waits up to {@code waitMs} for the next one. */
    Future<List<RunEvent>> await(long seq, long waitMs, boolean finished) {
        List<RunEvent> now = after(seq);
        if (!now.isEmpty() || waitMs <= 0 || finished) {
            return Future.succeededFuture(now);
        }
        Promise<List<RunEvent>> p = Promise.promise();
        long timer = vertx.setTimer(waitMs, id -> {
            waiters.removeIf(w -> w.promise() == p);
            p.tryComplete(List.of());
        });
        waiters.add(new Waiter(seq, p, timer));
        return p.future();
    }

    void listen(Consumer<RunEvent> listener) {
        listeners.add(listener);
    }

    void unlisten(Consumer<RunEvent> listener) {
        listeners.remove(listener);
    }
}

package dev.loginrelay.controller.vm.fixed;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * This replica's sessions that want a slot, served one at a time in the order they asked: each gets a
 * {@link #ticket()} when it asks and keeps it through every retry. The session holding the turn ({@link #enter})
 * reads the counts and claims; then it passes the turn on ({@link #pass}) or, finding every agent full, waits in
 * ticket order ({@link #back}) until a slot frees here ({@link #freed}) or, when the slots are shared with other
 * replicas (which free slots this one does not hear of), until the next poll.
 */
final class SlotQueue {
    private final Vertx vertx;
    private final long pollMs;
    private final TreeMap<Long, Promise<Void>> waiting = new TreeMap<>();
    private long tickets;
    /** A session holds the turn. */
    private boolean taken;
    /** A slot freed here while the turn was taken: the holder, if it found every agent full, tries once more. */
    private boolean missed;
    private long timer = -1;

    /** {@code vertx} null: no polling, only slots freed here wake the line. */
    SlotQueue(Vertx vertx, Duration poll) {
        this.vertx = vertx;
        this.pollMs = Math.max(1, poll.toMillis());
    }

    /** A session's place in line, taken once when it asks. */
    synchronized long ticket() {
        return tickets++;
    }

    /** The turn: at once when nobody holds it and nobody who asked earlier waits, else in ticket order. */
    Future<Void> enter(long ticket) {
        Promise<Void> p = Promise.promise();
        synchronized (this) {
            if (!taken && (waiting.isEmpty() || ticket < waiting.firstKey())) {
                taken = true;
                return Future.succeededFuture();
            }
            waiting.put(ticket, p);
        }
        return p.future();
    }

    /** The holder is done (it got a slot, or gave up): the first in line takes the turn. */
    void pass() {
        Promise<Void> next;
        synchronized (this) {
            taken = false;
            missed = false;
            next = next();
        }
        complete(next);
    }

    /** The holder found every agent full: it waits in line, and holds the turn again when woken. */
    Future<Void> back(long ticket) {
        Promise<Void> p = Promise.promise();
        synchronized (this) {
            if (missed) {
                missed = false;
                return Future.succeededFuture(); // a slot freed meanwhile: try again at once
            }
            taken = false;
            waiting.put(ticket, p);
            poll();
        }
        return p.future();
    }

    /** A slot freed here: the first in line tries again (or the holder does, once it is done). */
    void freed() {
        Promise<Void> next = null;
        synchronized (this) {
            if (taken) {
                missed = true;
            } else {
                next = next();
            }
        }
        complete(next);
    }

    synchronized int size() {
        return waiting.size();
    }

    private Promise<Void> next() {
        if (taken || waiting.isEmpty()) {
            return null;
        }
        taken = true;
        Map.Entry<Long, Promise<Void>> first = waiting.pollFirstEntry();
        return first.getValue();
    }

    /** With shared slots, wakes the first in line after the poll interval (once the turn is free). */
    private void poll() {
        if (vertx == null || timer >= 0 || waiting.isEmpty()) {
            return;
        }
        timer = vertx.setTimer(pollMs, id -> {
            Promise<Void> next;
            synchronized (this) {
                timer = -1;
                next = next();
            }
            complete(next);
        });
    }

    private static void complete(Promise<Void> p) {
        if (p != null) {
            p.complete();
        }
    }
}

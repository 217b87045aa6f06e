package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.model.AuthSession;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * How many sessions start at once on this replica. Starting a login (getting an agent, starting the CLI until it
 * shows its URL) is the expensive part; beyond {@code slots} of them at once a small host only gets slower for all.
 * Sessions beyond capacity wait in creation order (fair: the first clicked is the first started) and stay
 * {@code pending} meanwhile. A slot is held until the session shows the user their step, waits for a host lock, or
 * ends. Used on the controller's context only.
 */
final class Admission {
    /** What the recent starts took, for the estimate shown to waiting users. */
    private static final double SMOOTHING = 0.2;

    private final int slots;
    private final PriorityQueue<AuthSession> waiting = new PriorityQueue<>(
        Comparator.comparing(AuthSession::createdAt).thenComparing(AuthSession::sessionId));
    private final Set<UUID> holding = new HashSet<>();
    private final Map<UUID, Long> since = new ConcurrentHashMap<>();
    private final Consumer<AuthSession> start;
    private volatile double averageStartMs = 2000;

    Admission(int slots, Consumer<AuthSession> start) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots cannot be less than 1, not " + slots);
        }
        this.slots = slots;
        this.start = start;
    }

    /** Starts the session now when a slot is free, otherwise queues it behind those created before it. */
    void submit(AuthSession s) {
        if (holding.contains(s.sessionId()) || waiting.stream().anyMatch(w -> w.sessionId().equals(s.sessionId()))) {
            return;
        }
        waiting.add(s);
        drain();
    }

    /** The session no longer needs its slot (it shows its step, waits for a lock, or ended); the next one starts. */
    void done(UUID id) {
        if (holding.remove(id)) {
            Long t0 = since.remove(id);
            if (t0 != null) {
                double ms = (System.nanoTime() - t0) / 1e6;
                averageStartMs = averageStartMs * (1 - SMOOTHING) + ms * SMOOTHING;
            }
        }
        waiting.removeIf(w -> w.sessionId().equals(id));
        drain();
    }

    private void drain() {
        while (holding.size() < slots && !waiting.isEmpty()) {
            AuthSession next = waiting.poll();
            holding.add(next.sessionId());
            since.put(next.sessionId(), System.nanoTime());
            start.accept(next);
        }
    }

    int waiting() {
        return waiting.size();
    }

    /** How long a session at {@code position} (1 = next) may wait before it starts, from the recent starts. */
    Duration estimate(int position) {
        long rounds = (position + slots - 1L) / slots;
        return Duration.ofMillis(Math.round(rounds * averageStartMs));
    }
}

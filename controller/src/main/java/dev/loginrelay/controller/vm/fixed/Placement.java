package dev.loginrelay.controller.vm.fixed;

import dev.loginrelay.controller.vm.AgentSlots;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Which agent gets a session: among those with room, the one with the fewest sessions on every replica sharing the
 * slots, the first from a round-robin cursor on ties. The slot is claimed in this replica's turn ({@link SlotQueue}),
 * so its sessions are served in the order they asked; when every agent is full the session waits in line.
 */
final class Placement {
    private static final Logger log = LoggerFactory.getLogger(Placement.class);
    /** At most one sweep of ended sessions' slots this often, when a session finds every agent full. */
    private static final long SWEEP_EVERY_MS = 5_000;
    /** {@link #pick}: every agent left to try is at its capacity. */
    private static final int FULL = -2;

    private final List<String> agentIds;
    private final int[] capacity;
    private final AgentSlots slots;
    private final SlotQueue queue;
    private int next;
    private long lastSweep;

    Placement(List<String> agentIds, int[] capacity, AgentSlots slots, SlotQueue queue) {
        this.agentIds = List.copyOf(agentIds);
        this.capacity = capacity.clone();
        this.slots = slots;
        this.queue = queue;
    }

    /**
     * A slot for the session on an agent not in {@code tried}, once it is the session's turn ({@code ticket}, from
     * {@link SlotQueue#ticket()}): the agent's index, or -1 when every agent has been tried.
     */
    Future<Integer> claim(UUID sessionId, long ticket, Set<Integer> tried) {
        return queue.enter(ticket)
            .compose(turn -> claimInTurn(sessionId, ticket, tried, false).onComplete(ar -> queue.pass()));
    }

    /** Holding the turn: the index of the agent whose slot the session got, or -1 when none is left to try. */
    private Future<Integer> claimInTurn(UUID sessionId, long ticket, Set<Integer> tried, boolean waited) {
        return slots.held().compose(held -> claimBest(sessionId, held, tried, new HashSet<>())).compose(i -> {
            if (i != FULL) {
                return Future.succeededFuture(i);
            }
            return sweep().compose(freed -> {
                if (freed > 0) {
                    return claimInTurn(sessionId, ticket, tried, waited);
                }
                if (!waited) {
                    log.info("session={} waits for a slot: every static agent that answers is at its capacity",
                        sessionId);
                }
                // Agents that did not answer are tried again: one may be back by then.
                return queue.back(ticket).compose(v -> claimInTurn(sessionId, ticket, new HashSet<>(), true));
            });
        });
    }

    private Future<Integer> claimBest(UUID sessionId, Map<String, Integer> held, Set<Integer> tried,
                                      Set<Integer> full) {
        int i = pick(held, tried, full);
        if (i < 0) {
            return Future.succeededFuture(i);
        }
        return slots.claim(agentIds.get(i), capacity[i], sessionId).compose(got -> {
            if (got) {
                return Future.succeededFuture(i);
            }
            full.add(i); // another replica took its last slot since the counts were read
            return claimBest(sessionId, held, tried, full);
        });
    }

    /**
     * The untried agent with room and the fewest sessions, the first from the round-robin cursor on ties;
     * {@link #FULL} when every untried agent is at its capacity, -1 when none is left to try.
     */
    private synchronized int pick(Map<String, Integer> held, Set<Integer> tried, Set<Integer> full) {
        int best = -1;
        int bestCount = 0;
        boolean anyFull = false;
        for (int k = 0; k < agentIds.size(); k++) {
            int i = (next + k) % agentIds.size();
            if (tried.contains(i)) {
                continue;
            }
            int n = held.getOrDefault(agentIds.get(i), 0);
            if (full.contains(i) || n >= capacity[i]) {
                anyFull = true;
            } else if (best < 0 || n < bestCount) {
                best = i;
                bestCount = n;
            }
        }
        if (best >= 0) {
            next = (best + 1) % agentIds.size();
            return best;
        }
        return anyFull ? FULL : -1;
    }

    /** Frees the slots of sessions that ended or are gone (a replica crashed holding them); rate-limited. */
    Future<Integer> sweep() {
        synchronized (this) {
            long now = System.nanoTime();
            if (!slots.shared() || lastSweep != 0 && now - lastSweep < SWEEP_EVERY_MS * 1_000_000) {
                return Future.succeededFuture(0);
            }
            lastSweep = now;
        }
        return slots.sweep().recover(e -> {
            log.warn("could not sweep the slots of ended sessions: {}", e.getMessage());
            return Future.succeededFuture(0);
        });
    }
}

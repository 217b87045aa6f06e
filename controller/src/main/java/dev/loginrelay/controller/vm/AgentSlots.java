package dev.loginrelay.controller.vm;

import io.vertx.core.Future;

import java.util.Map;
import java.util.UUID;

/**
 * Which session holds which slot of an agent that several sessions share: the count a pool hands agents out by. The
 * default, {@link #inMemory()}, is this process's own; the controller's is a table in PostgreSQL (store/), so every
 * replica over the same agents sees every slot taken, and a slot is taken by exactly one of them.
 */
public interface AgentSlots extends AutoCloseable {
    /**
     * Takes one of the agent's {@code capacity} slots for the session. True when the session holds one there now
     * (also when it already did: claiming is idempotent per session), false when every slot is taken. Fails with
     * {@code ILLEGAL_TRANSITION} when the session has ended or does not exist, where that is known: a session that
     * waited past its end never gets an agent.
     */
    Future<Boolean> claim(String agentId, int capacity, UUID sessionId);

    /**
     * Records that the session runs on the agent (found again after a restart), whatever the capacity; a session
     * that already holds a slot keeps it, one that has ended gets none.
     */
    Future<Void> adopt(String agentId, UUID sessionId);

    /** Frees the session's slot, if it holds one. */
    Future<Void> release(UUID sessionId);

    /** Slots held per agent id, read now (agents with none are absent). */
    Future<Map<String, Integer>> held();

    /** The counts as last known, without waiting for I/O: for metrics, which must not block. */
    Map<String, Integer> known();

    /**
     * Frees the slots of sessions that ended a while ago or are gone (their holder crashed between claim and
     * release); answers how many. The in-memory slots know no sessions and free none.
     */
    Future<Integer> sweep();

    /**
     * Whether another process may free a slot: a session waiting for one then polls, since it would not hear of it.
     */
    boolean shared();

    /** Releases what the slots hold open (a connection pool); blocking. */
    @Override
    default void close() {
    }

    /** Slots counted in this process only: for a single controller, and for pools built without a database. */
    static AgentSlots inMemory() {
        return new MemorySlots();
    }
}

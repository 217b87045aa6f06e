package dev.loginrelay.controller.store;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.vm.AgentSlots;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code agent_slots} table: {@link AgentSlots} shared by every replica on the database. A claim inserts the
 * lowest free slot number below the capacity with {@code ON CONFLICT DO NOTHING}; the primary key
 * {@code (agent_id, slot)} is the compare-and-set, so two replicas racing for an agent's last slot cannot both get it.
 */
public final class AgentSlotStore implements AgentSlots {
    private static final Logger log = LoggerFactory.getLogger(AgentSlotStore.class);
    /** Default {@code grace}: a ready session's agent stays counted while its credentials are taken into custody. */
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(1);
    /** How often a lost race for a slot number is tried again while the agent still has room. */
    private static final int ATTEMPTS = 5;
    private static final long KNOWN_MAX_AGE_MS = 1_000;

    private static final String COUNT = "(SELECT count(*) FROM agent_slots WHERE agent_id = ?)";
    /** Params: agent, capacity, agent, session, agent, agent, capacity. */
    private static final String CLAIM = "INSERT INTO agent_slots (agent_id, slot, session_id)"
        + " SELECT ?, n, s.session_id FROM auth_sessions s,"
        + " generate_series(0, LEAST(? - 1, " + COUNT + ")::int) AS n"
        + " WHERE s.session_id = ? AND s.status IN (" + SessionRows.ACTIVE_IN_LIST + ")"
        + " AND NOT EXISTS (SELECT 1 FROM agent_slots t WHERE t.agent_id = ? AND t.slot = n)"
        + " AND " + COUNT + " < ?"
        + " ORDER BY n LIMIT 1 ON CONFLICT DO NOTHING";
    /** Params: agent, session. */
    private static final String WHY_NOT = "SELECT s.status,"
        + " (SELECT agent_id FROM agent_slots WHERE session_id = s.session_id) AS holds, " + COUNT + " AS taken"
        + " FROM auth_sessions s WHERE s.session_id = ?";
    private static final String RELEASE = "DELETE FROM agent_slots WHERE session_id = ?";
    private static final String HELD = "SELECT agent_id, count(*) FROM agent_slots GROUP BY agent_id";
    /** Params: grace in seconds. */
    private static final String SWEEP = "DELETE FROM agent_slots t WHERE NOT EXISTS (SELECT 1 FROM auth_sessions s"
        + " WHERE s.session_id = t.session_id"
        + " AND (s.finished_at IS NULL OR s.finished_at > now() - make_interval(secs => ?)))";

    private final Db db;
    private final Duration grace;
    private volatile Map<String, Integer> known = Map.of();
    private volatile long knownAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);
    private final AtomicBoolean refreshing = new AtomicBoolean();

    /**
     * @param db    owned: {@link #close()} closes it
     * @param grace how long after its end a session's slot may still be held before {@link #sweep()} frees it
     */
    public AgentSlotStore(Db db, Duration grace) {
        this.db = Objects.requireNonNull(db, "db");
        this.grace = Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace cannot be negative, not " + grace);
        }
    }

    @Override
    public Future<Boolean> claim(String agentId, int capacity, UUID sessionId) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        return db.call(c -> {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                if (insert(c, agentId, capacity, sessionId) == 1) {
                    return true;
                }
                try (PreparedStatement ps = c.prepareStatement(WHY_NOT)) {
                    ps.setString(1, agentId);
                    ps.setObject(2, sessionId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session " + sessionId
                                + " is gone: no slot on agent " + agentId + " for it");
                        }
                        SessionState status = SessionState.fromWire(rs.getString(1));
                        if (status.isTerminal()) {
                            throw new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session " + sessionId + " ended ("
                                + status.wireName() + ") before it got a slot on agent " + agentId);
                        }
                        String holds = rs.getString(2);
                        if (holds != null || rs.getLong(3) >= capacity) {
                            return agentId.equals(holds); // held already (idempotent), elsewhere, or full
                        }
                    }
                }
                // Another replica took the slot number between this statement's read and its insert: room is left.
            }
            log.debug("session={} agent={} lost {} races for a free slot", sessionId, agentId, ATTEMPTS);
            return false;
        });
    }

    private static int insert(Connection c, String agentId, int capacity, UUID sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setString(1, agentId);
            ps.setInt(2, capacity);
            ps.setString(3, agentId);
            ps.setObject(4, sessionId);
            ps.setString(5, agentId);
            ps.setString(6, agentId);
            ps.setInt(7, capacity);
            return ps.executeUpdate();
        }
    }

    @Override
    public Future<Void> adopt(String agentId, UUID sessionId) {
        return db.call(c -> insert(c, agentId, Integer.MAX_VALUE, sessionId)).mapEmpty();
    }

    @Override
    public Future<Void> release(UUID sessionId) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(RELEASE)) {
                ps.setObject(1, sessionId);
                return ps.executeUpdate();
            }
        }).mapEmpty();
    }

    @Override
    public Future<Map<String, Integer>> held() {
        return db.call(c -> {
            Map<String, Integer> counts = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(HELD); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getInt(2));
                }
            }
            return Map.copyOf(counts);
        }).onSuccess(counts -> {
            known = counts;
            knownAt = System.nanoTime();
        });
    }

    /** The counts of the last {@link #held()}; older than a second, they are read again in the background. */
    @Override
    public Map<String, Integer> known() {
        if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - knownAt) > KNOWN_MAX_AGE_MS
            && refreshing.compareAndSet(false, true)) {
            held().onComplete(ar -> {
                refreshing.set(false);
                if (ar.failed()) {
                    log.debug("slot counts not read: {}", ar.cause().getMessage());
                }
            });
        }
        return known;
    }

    @Override
    public Future<Integer> sweep() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(SWEEP)) {
                ps.setDouble(1, grace.toMillis() / 1000.0);
                return ps.executeUpdate();
            }
        }).onSuccess(n -> {
            if (n > 0) {
                log.info("freed {} agent slots of sessions that ended or are gone", n);
            }
        });
    }

    @Override
    public boolean shared() {
        return true;
    }

    /** Closes the database pool; blocking, waits up to 10 s. */
    @Override
    public void close() {
        try {
            db.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("slot store did not close cleanly: {}", e.toString());
        }
    }
}

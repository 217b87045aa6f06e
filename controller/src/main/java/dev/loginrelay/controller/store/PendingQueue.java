package dev.loginrelay.controller.store;

import io.vertx.core.Future;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/** The sessions that wait to start ({@code pending}), in creation order, across every replica. */
public final class PendingQueue {
    private static final String AHEAD = "SELECT count(*) FROM auth_sessions WHERE status = 'pending'"
        + " AND (created_at, session_id) < (?, ?)";
    private static final String WAITING = "SELECT count(*) FROM auth_sessions WHERE status = 'pending'";

    private final Db db;

    public PendingQueue(Db db) {
        this.db = db;
    }

    /** How many pending sessions were created before this one. */
    public Future<Long> ahead(Instant createdAt, UUID sessionId) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(AHEAD)) {
                ps.setTimestamp(1, Timestamp.from(createdAt));
                ps.setObject(2, sessionId);
                return count(ps);
            }
        });
    }

    /** How many sessions are pending now. */
    public Future<Long> waiting() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(WAITING)) {
                return count(ps);
            }
        });
    }

    private static long count(PreparedStatement ps) throws java.sql.SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

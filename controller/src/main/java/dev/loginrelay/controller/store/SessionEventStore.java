package dev.loginrelay.controller.store;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The append-only {@code auth_session_events} timeline. Reading is public; appending is package-private and always
 * runs inside the {@link SessionStore} transaction that changed the session row, because that row's {@code event_seq}
 * counter hands out the seq under the row lock.
 */
public final class SessionEventStore {
    /** Most events one {@link #timeline} call returns. */
    public static final int MAX_PAGE = 1000;
    static final int MAX_DETAIL_CHARS = 16 * 1024;

    private static final String APPEND = "INSERT INTO auth_session_events "
        + "(session_id, seq, at, kind, from_status, to_status, agent_seq, detail) "
        + "VALUES (?, ?, now(), ?, ?, ?, ?, CAST(? AS jsonb)) "
        + "ON CONFLICT (session_id, agent_seq) DO NOTHING";
    private static final String TIMELINE = "SELECT " + SessionRows.EVENT_COLUMNS + " FROM auth_session_events "
        + "WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?";

    private final Db db;

    public SessionEventStore(Db db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    /** Up to {@link #MAX_PAGE} events with {@code seq > afterSeq}, oldest first; pass 0 for the whole timeline. */
    public Future<List<SessionEvent>> timeline(UUID sessionId, long afterSeq) {
        return timeline(sessionId, afterSeq, MAX_PAGE);
    }

    /** Up to {@code limit} (1..{@link #MAX_PAGE}) events with {@code seq > afterSeq}, oldest first. */
    public Future<List<SessionEvent>> timeline(UUID sessionId, long afterSeq, int limit) {
        Objects.requireNonNull(sessionId, "sessionId");
        if (afterSeq < 0 || limit < 1 || limit > MAX_PAGE) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "afterSeq must be >= 0 and limit 1.." + MAX_PAGE + " (afterSeq=" + afterSeq + ", limit=" + limit
                    + ")"));
        }
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(TIMELINE)) {
                ps.setObject(1, sessionId);
                ps.setLong(2, afterSeq);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    List<SessionEvent> events = new ArrayList<>();
                    while (rs.next()) {
                        events.add(SessionRows.event(rs));
                    }
                    return events;
                }
            }
        });
    }

    /**
     * Appends one event in the caller's transaction. {@code seq} must come from the session row's {@code event_seq},
     * incremented under that row's lock in the same transaction.
     *
     * @return false when an event with the same {@code agentSeq} was already stored (nothing written)
     */
    static boolean append(Connection c, UUID sessionId, long seq, String kind, SessionState from, SessionState to,
                          Long agentSeq, JsonObject detail) throws SQLException {
        String json = detail == null ? "{}" : detail.encode();
        if (json.length() > MAX_DETAIL_CHARS) {
            throw new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "event detail of session=" + sessionId + " is "
                + json.length() + " characters (max " + MAX_DETAIL_CHARS + ")");
        }
        try (PreparedStatement ps = c.prepareStatement(APPEND)) {
            ps.setObject(1, sessionId);
            ps.setLong(2, seq);
            ps.setString(3, SessionEvent.requireKind(kind));
            ps.setString(4, from == null ? null : from.wireName());
            ps.setString(5, to == null ? null : to.wireName());
            if (agentSeq == null) {
                ps.setNull(6, Types.BIGINT);
            } else {
                ps.setLong(6, agentSeq);
            }
            ps.setString(7, json);
            return ps.executeUpdate() == 1;
        }
    }
}

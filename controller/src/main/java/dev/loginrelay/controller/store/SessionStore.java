package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.TokenHash;
import dev.loginrelay.controller.model.UserStep;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code auth_sessions} table. Every change is a compare-and-set on the row and appends its timeline event in the
 * same transaction, with the seq taken from the row's {@code event_seq} counter under the row lock: no gaps, no
 * duplicates, whichever replica writes. Unique-rule failures come back as {@link ErrorCode#CONFLICT}.
 */
public final class SessionStore {
    private static final Logger log = LoggerFactory.getLogger(SessionStore.class);
    /** Most rows one {@link #list} or {@link #timeoutOverdue} call returns. */
    public static final int MAX_PAGE = 1000;

    private final Db db;

    public SessionStore(Db db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    /** Inserts a PENDING session and its {@code created} event (seq 1). */
    public Future<AuthSession> insert(NewSession n) {
        Objects.requireNonNull(n, "newSession");
        return db.inTransaction(c -> {
            AuthSession s;
            try (PreparedStatement ps = c.prepareStatement(SessionSql.INSERT)) {
                ps.setString(1, n.owner());
                ps.setString(2, n.provider());
                ps.setBytes(3, n.tokenHash().bytes());
                ps.setString(4, n.idempotencyKey());
                ps.setLong(5, n.ttl().toMillis());
                s = SessionRows.oneSession(ps).orElseThrow();
            }
            SessionEventStore.append(c, s.sessionId(), s.lastEventSeq(), SessionEvent.KIND_CREATED, null,
                SessionState.PENDING, null, new JsonObject().put("provider", s.provider()));
            return s;
        }).onSuccess(s -> log.info("session={} created provider={} owner={}", s.sessionId(), s.provider(), s.owner()));
    }

    public Future<Optional<AuthSession>> findById(UUID sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        return db.call(c -> query(c, SessionSql.BY_ID, sessionId));
    }

    /** The session whose bearer token hashes to {@code hash}. */
    public Future<Optional<AuthSession>> findByTokenHash(TokenHash hash) {
        Objects.requireNonNull(hash, "hash");
        return db.call(c -> query(c, SessionSql.BY_TOKEN_HASH, hash.bytes()));
    }

    /** The session an owner created with this idempotency key (the key is unique per owner). */
    public Future<Optional<AuthSession>> findByIdempotencyKey(String owner, String idempotencyKey) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        return db.call(c -> query(c, SessionSql.BY_IDEMPOTENCY_KEY, owner, idempotencyKey));
    }

    /** The owner's one non-terminal session for the provider, if any. */
    public Future<Optional<AuthSession>> findActive(String owner, String provider) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(provider, "provider");
        return db.call(c -> query(c, SessionSql.ACTIVE, owner, provider));
    }

    /** Newest first; {@code status} and {@code provider} filter when not null; {@code limit} is 1..MAX_PAGE. */
    public Future<List<AuthSession>> list(SessionState status, String provider, int limit) {
        return list(status, provider, null, null, limit);
    }

    /**
     * Newest first; each filter applies when not null: {@code status}, {@code provider}, and the creation time range
     * {@code since} (inclusive) to {@code until} (exclusive). {@code limit} is 1..MAX_PAGE; {@code since} must be
     * before {@code until}.
     */
    public Future<List<AuthSession>> list(SessionState status, String provider, Instant since, Instant until,
                                          int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "limit must be 1.." + MAX_PAGE + ", not " + limit));
        }
        if (!rangeOk(since, until)) {
            return Future.failedFuture(badRange(since, until));
        }
        return db.call(c -> {
            String sql = SessionSql.list(status != null, provider != null, since != null, until != null);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (status != null) {
                    ps.setString(i++, status.wireName());
                }
                i = bindFilters(ps, i, provider, since, until);
                ps.setInt(i, limit);
                return SessionRows.sessions(ps);
            }
        });
    }

    /**
     * How many sessions are in each status (statuses with none are absent), with the filters of {@link #list} but
     * the status; for the operators' page.
     */
    public Future<Map<SessionState, Long>> countByStatus(String provider, Instant since, Instant until) {
        if (!rangeOk(since, until)) {
            return Future.failedFuture(badRange(since, until));
        }
        return db.call(c -> {
            Map<SessionState, Long> out = new EnumMap<>(SessionState.class);
            try (PreparedStatement ps = c.prepareStatement(
                    SessionSql.countByStatus(provider != null, since != null, until != null))) {
                bindFilters(ps, 1, provider, since, until);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(SessionState.fromWire(rs.getString(1)), rs.getLong(2));
                    }
                }
            }
            return out;
        });
    }

    private static int bindFilters(PreparedStatement ps, int from, String provider, Instant since, Instant until)
        throws SQLException {
        int i = from;
        if (provider != null) {
            ps.setString(i++, provider);
        }
        if (since != null) {
            ps.setObject(i++, OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
        }
        if (until != null) {
            ps.setObject(i++, OffsetDateTime.ofInstant(until, ZoneOffset.UTC));
        }
        return i;
    }

    private static boolean rangeOk(Instant since, Instant until) {
        return since == null || until == null || since.isBefore(until);
    }

    private static ApiException badRange(Instant since, Instant until) {
        return new ApiException(ErrorCode.BAD_REQUEST, "since must be before until (since=" + since + ", until="
            + until + ")");
    }

    /**
     * Moves the session from {@code from} to {@code to} if, and only if, it is in {@code from} now, sets the columns
     * of {@code change}, and appends a {@code status} event in the same transaction. A move to a terminal state sets
     * {@code finished_at} and clears the user step (the auth URL holds the OAuth state; it is not needed any more).
     *
     * @return the updated session; fails with {@link ErrorCode#ILLEGAL_TRANSITION} when the edge is not in the
     *     lifecycle or the session is not in {@code from} (nothing is written), {@link ErrorCode#SESSION_NOT_FOUND}
     *     when there is no such session
     */
    public Future<AuthSession> transition(UUID sessionId, SessionState from, SessionState to, SessionChange change) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(change, "change");
        if (!from.canMoveTo(to)) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session=" + sessionId
                + ": " + from.wireName() + " -> " + to.wireName() + " is not a lifecycle edge"));
        }
        return db.inTransaction(c -> {
            AuthSession s = Transitions.apply(c, sessionId, from, to, change)
                .orElseThrow(() -> notIn(c, sessionId, from, "move to " + to.wireName()));
            JsonObject detail = change.detail() == null ? new JsonObject() : change.detail();
            if (change.errorCode() != null) {
                detail.put("error_code", change.errorCode());
            }
            SessionEventStore.append(c, sessionId, s.lastEventSeq(), SessionEvent.KIND_STATUS, from, to, null, detail);
            return s;
        }).onSuccess(s -> log.info("session={} state {} -> {} version={}", sessionId, from.wireName(),
            to.wireName(), s.version()));
    }

    /** Session counts by status and provider (for the metrics gauge); keys are {@code status|provider}. */
    public Future<java.util.Map<String, Long>> countsByStatusAndProvider() {
        return db.call(c -> {
            java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT status, provider, count(*) FROM auth_sessions GROUP BY status, provider");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1) + "|" + rs.getString(2), rs.getLong(3));
                }
            }
            return out;
        });
    }

    /** Replaces the session's token hash (an idempotent create replay issues a new token; the old one stops working). */
    public Future<AuthSession> rotateToken(UUID sessionId, TokenHash hash) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(hash, "hash");
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(SessionSql.ROTATE_TOKEN)) {
                ps.setBytes(1, hash.bytes());
                ps.setObject(2, sessionId);
                return SessionRows.oneSession(ps).orElseThrow(() -> notFound(sessionId));
            }
        });
    }

    /**
     * Replaces what the user must do (new URL or code) while the session is AWAITING_USER, and appends a {@code
     * user_step} event that records only which parts are present.
     */
    public Future<AuthSession> updateUserStep(UUID sessionId, UserStep step) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(step, "step");
        return db.inTransaction(c -> {
            AuthSession s;
            try (PreparedStatement ps = c.prepareStatement(SessionSql.USER_STEP)) {
                ps.setString(1, step.expects().wireName());
                ps.setString(2, step.authUrl());
                ps.setString(3, step.verificationUrl());
                ps.setString(4, step.userCode());
                ps.setObject(5, sessionId);
                s = SessionRows.oneSession(ps)
                    .orElseThrow(() -> notIn(c, sessionId, SessionState.AWAITING_USER, "update the user step"));
            }
            SessionEventStore.append(c, sessionId, s.lastEventSeq(), SessionEvent.KIND_USER_STEP, null, null, null,
                Transitions.describe(step));
            return s;
        });
    }

    /**
     * Times out up to {@code limit} open sessions whose deadline has passed, in one statement; safe to run on every
     * replica at once: rows are locked with {@code SKIP LOCKED} and moved only from the state they were locked in, so
     * each session times out exactly once, and a racing {@link #transition} either wins or gets ILLEGAL_TRANSITION.
     */
    public Future<List<AuthSession>> timeoutOverdue(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST,
                "limit must be 1.." + MAX_PAGE + ", not " + limit));
        }
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(SessionSql.TIMEOUT_OVERDUE)) {
                ps.setInt(1, limit);
                return SessionRows.sessions(ps);
            }
        }).onSuccess(moved -> moved.forEach(s ->
            log.info("session={} state -> timeout (deadline passed) provider={}", s.sessionId(), s.provider())));
    }

    /**
     * Stores an event the agent reported, once per {@code (session, agentSeq)}: a re-sent report is a no-op. Late
     * reports after the session ended are kept too; the timeline is a record, not a state machine. Does not change
     * the status: the service decides that and calls {@link #transition}.
     *
     * @return true when the event was new; fails with SESSION_NOT_FOUND when there is no such session
     */
    public Future<Boolean> recordAgentEvent(UUID sessionId, long agentSeq, String kind, JsonObject detail) {
        Objects.requireNonNull(sessionId, "sessionId");
        SessionEvent.requireKind(kind);
        if (agentSeq < 1) {
            return Future.failedFuture(new ApiException(ErrorCode.BAD_REQUEST, "agentSeq must be >= 1, not "
                + agentSeq + " (session=" + sessionId + ")"));
        }
        return db.inTransaction(c -> {
            long seq = lockForEvent(c, sessionId) + 1;
            if (!SessionEventStore.append(c, sessionId, seq, kind, null, null, agentSeq, detail)) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement(SessionSql.AFTER_AGENT_EVENT)) {
                ps.setLong(1, seq);
                ps.setLong(2, agentSeq);
                ps.setObject(3, sessionId);
                ps.executeUpdate();
            }
            return true;
        });
    }

    private static long lockForEvent(Connection c, UUID sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.LOCK_FOR_EVENT)) {
            ps.setObject(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw notFound(sessionId);
                }
                return rs.getLong(1);
            }
        }
    }

    /** Why a compare-and-set matched no row: the session is missing, or in another state than {@code expected}. */
    private static ApiException notIn(Connection c, UUID sessionId, SessionState expected, String action) {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.STATUS_OF)) {
            ps.setObject(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return notFound(sessionId);
                }
                return new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session=" + sessionId + " is "
                    + rs.getString(1) + ", not " + expected.wireName() + "; refused to " + action);
            }
        } catch (SQLException e) {
            return SqlErrors.translate(e, "status-check");
        }
    }

    private static ApiException notFound(UUID sessionId) {
        return new ApiException(ErrorCode.SESSION_NOT_FOUND, "session=" + sessionId + " not found");
    }

    private static Optional<AuthSession> query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return SessionRows.oneSession(ps);
        }
    }
}

package dev.loginrelay.controller.store;

import static dev.loginrelay.controller.store.SessionRows.ACTIVE_IN_LIST;
import static dev.loginrelay.controller.store.SessionRows.COLUMNS;

/** The statements of {@link SessionStore}. Every write bumps {@code version} and takes its event seq from the row. */
final class SessionSql {
    static final String INSERT = "INSERT INTO auth_sessions AS s "
        + "(owner, provider, session_token_hash, idempotency_key, deadline_at, event_seq) "
        + "VALUES (?, ?, ?, ?, now() + ? * interval '1 millisecond', 1) RETURNING " + COLUMNS;

    static final String BY_ID = "SELECT " + COLUMNS + " FROM auth_sessions s WHERE s.session_id = ?";
    static final String BY_TOKEN_HASH =
        "SELECT " + COLUMNS + " FROM auth_sessions s WHERE s.session_token_hash = ?";
    static final String BY_IDEMPOTENCY_KEY =
        "SELECT " + COLUMNS + " FROM auth_sessions s WHERE s.owner = ? AND s.idempotency_key = ?";
    static final String ACTIVE = "SELECT " + COLUMNS + " FROM auth_sessions s "
        + "WHERE s.owner = ? AND s.provider = ? AND s.status IN (" + ACTIVE_IN_LIST + ")";
    /** A new token for an open session (an idempotent replay of its create): the old one stops working. */
    static final String ROTATE_TOKEN = "UPDATE auth_sessions s SET session_token_hash = ?, version = s.version + 1, "
        + "updated_at = now() WHERE s.session_id = ? RETURNING " + COLUMNS;
    static final String STATUS_OF = "SELECT status FROM auth_sessions WHERE session_id = ?";

    /**
     * Compare-and-set on the status (HikariCP {@code compareAndSet}, Hono {@code version=:expected_version}): zero
     * rows means the session is not in the expected state. A concurrent writer blocks on the row lock, then re-reads
     * the committed row, so of two racing moves from one state exactly one matches.
     */
    static final String TRANSITION = "UPDATE auth_sessions s SET "
        + "status = ?, version = s.version + 1, event_seq = s.event_seq + 1, updated_at = now(), "
        + "finished_at = CASE WHEN ? THEN now() ELSE s.finished_at END, "
        + "agent_id = coalesce(?, s.agent_id), "
        + "browser_vm_id = coalesce(?, s.browser_vm_id), "
        + "vm_ip = coalesce(CAST(? AS inet), s.vm_ip), "
        + "error_code = coalesce(?, s.error_code), "
        + "error_message = coalesce(?, s.error_message), "
        + "account = coalesce(CAST(? AS jsonb), s.account), "
        + "expects = CASE WHEN ? THEN ? ELSE s.expects END, "
        + "auth_url = CASE WHEN ? THEN ? ELSE s.auth_url END, "
        + "verification_url = CASE WHEN ? THEN ? ELSE s.verification_url END, "
        + "user_code = CASE WHEN ? THEN ? ELSE s.user_code END "
        + "WHERE s.session_id = ? AND s.status = ? RETURNING " + COLUMNS;

    static final String USER_STEP = "UPDATE auth_sessions s SET "
        + "expects = ?, auth_url = ?, verification_url = ?, user_code = ?, "
        + "version = s.version + 1, event_seq = s.event_seq + 1, updated_at = now() "
        + "WHERE s.session_id = ? AND s.status = 'awaiting_user' RETURNING " + COLUMNS;

    /** Locks the row for an agent event; the event's seq is {@code event_seq + 1}. */
    static final String LOCK_FOR_EVENT =
        "SELECT event_seq FROM auth_sessions WHERE session_id = ? FOR NO KEY UPDATE";
    static final String AFTER_AGENT_EVENT = "UPDATE auth_sessions SET event_seq = ?, "
        + "last_agent_seq = greatest(last_agent_seq, ?), version = version + 1, updated_at = now() "
        + "WHERE session_id = ?";

    /**
     * One statement: lock up to N overdue open rows, skipping rows another replica (or a transition) holds, move them
     * to timeout and append their events. A skipped row is either finishing now or is picked up by the next sweep.
     */
    static final String TIMEOUT_OVERDUE = "WITH overdue AS ("
        + " SELECT session_id, status AS from_status FROM auth_sessions"
        + " WHERE deadline_at < now() AND status IN (" + ACTIVE_IN_LIST + ")"
        + " ORDER BY deadline_at LIMIT ? FOR NO KEY UPDATE SKIP LOCKED"
        + "), moved AS ("
        + " UPDATE auth_sessions s SET status = 'timeout', version = s.version + 1, event_seq = s.event_seq + 1,"
        + " updated_at = now(), finished_at = now(), error_code = 'DEADLINE_EXCEEDED',"
        + " error_message = 'deadline passed while ' || o.from_status,"
        + " expects = 'none', auth_url = NULL, verification_url = NULL, user_code = NULL"
        + " FROM overdue o WHERE s.session_id = o.session_id AND s.status = o.from_status"
        + " RETURNING " + COLUMNS + ", o.from_status"
        + "), events AS ("
        + " INSERT INTO auth_session_events (session_id, seq, at, kind, from_status, to_status, detail)"
        + " SELECT session_id, event_seq, now(), 'timeout', from_status, 'timeout',"
        + " jsonb_build_object('deadline_at', deadline_at) FROM moved"
        + ") SELECT * FROM moved ORDER BY deadline_at";

    private SessionSql() {
    }

    /**
     * A list query, newest first, with optional filters in this parameter order: status, provider, created at or after
     * {@code since}, created before {@code until}.
     */
    static String list(boolean byStatus, boolean byProvider, boolean bySince, boolean byUntil) {
        return "SELECT " + COLUMNS + " FROM auth_sessions s"
            + where(byStatus, byProvider, bySince, byUntil) + " ORDER BY s.created_at DESC, s.session_id LIMIT ?";
    }

    /** Session counts by status, with the filters of {@link #list} but status (same parameter order). */
    static String countByStatus(boolean byProvider, boolean bySince, boolean byUntil) {
        return "SELECT s.status, count(*) FROM auth_sessions s" + where(false, byProvider, bySince, byUntil)
            + " GROUP BY s.status";
    }

    private static String where(boolean byStatus, boolean byProvider, boolean bySince, boolean byUntil) {
        java.util.List<String> terms = new java.util.ArrayList<>();
        if (byStatus) {
            terms.add("s.status = ?");
        }
        if (byProvider) {
            terms.add("s.provider = ?");
        }
        if (bySince) {
            terms.add("s.created_at >= ?");
        }
        if (byUntil) {
            terms.add("s.created_at < ?");
        }
        return terms.isEmpty() ? "" : " WHERE " + String.join(" AND ", terms);
    }
}

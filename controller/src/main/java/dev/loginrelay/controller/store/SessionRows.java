package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.Expects;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/** Column lists and row mapping shared by the stores. The token hash is never selected. */
final class SessionRows {
    /** Every column an {@link AuthSession} holds; {@code s.} is the alias of {@code auth_sessions} in the queries. */
    static final String COLUMNS = "s.session_id, s.owner, s.provider, s.status, s.expects, s.auth_url, "
        + "s.verification_url, s.user_code, s.agent_id, s.browser_vm_id, host(s.vm_ip) AS vm_ip, s.error_code, "
        + "s.error_message, s.account::text AS account, s.idempotency_key, s.created_at, s.updated_at, "
        + "s.deadline_at, s.finished_at, s.version, s.last_agent_seq, s.event_seq";

    static final String EVENT_COLUMNS =
        "session_id, seq, at, kind, from_status, to_status, agent_seq, detail::text AS detail";

    /** {@code 'pending', 'starting', ...}: the non-terminal states as an SQL IN list, from the enum. */
    static final String ACTIVE_IN_LIST = SessionState.active().stream()
        .map(s -> "'" + s.wireName() + "'")
        .collect(Collectors.joining(", "));

    private SessionRows() {
    }

    static AuthSession session(ResultSet rs) throws SQLException {
        UserStep step = new UserStep(Expects.fromWire(rs.getString("expects")), rs.getString("auth_url"),
            rs.getString("verification_url"), rs.getString("user_code"));
        String account = rs.getString("account");
        return new AuthSession(
            rs.getObject("session_id", UUID.class),
            rs.getString("owner"),
            rs.getString("provider"),
            SessionState.fromWire(rs.getString("status")),
            step,
            rs.getString("agent_id"),
            rs.getString("browser_vm_id"),
            rs.getString("vm_ip"),
            rs.getString("error_code"),
            rs.getString("error_message"),
            account == null ? null : new JsonObject(account),
            rs.getString("idempotency_key"),
            instant(rs, "created_at"),
            instant(rs, "updated_at"),
            instant(rs, "deadline_at"),
            instant(rs, "finished_at"),
            rs.getLong("version"),
            rs.getLong("last_agent_seq"),
            rs.getLong("event_seq"));
    }

    static SessionEvent event(ResultSet rs) throws SQLException {
        String from = rs.getString("from_status");
        String to = rs.getString("to_status");
        Long agentSeq = rs.getObject("agent_seq", Long.class);
        return new SessionEvent(
            rs.getObject("session_id", UUID.class),
            rs.getLong("seq"),
            instant(rs, "at"),
            rs.getString("kind"),
            from == null ? null : SessionState.fromWire(from),
            to == null ? null : SessionState.fromWire(to),
            agentSeq,
            new JsonObject(rs.getString("detail")));
    }

    /** Executes a prepared query and maps every row. */
    static List<AuthSession> sessions(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            List<AuthSession> out = new ArrayList<>();
            while (rs.next()) {
                out.add(session(rs));
            }
            return out;
        }
    }

    /** Executes a prepared query expected to match at most one row. */
    static Optional<AuthSession> oneSession(PreparedStatement ps) throws SQLException {
        List<AuthSession> rows = sessions(ps);
        if (rows.size() > 1) {
            throw new IllegalStateException("expected at most one session, got " + rows.size());
        }
        return rows.stream().findFirst();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}

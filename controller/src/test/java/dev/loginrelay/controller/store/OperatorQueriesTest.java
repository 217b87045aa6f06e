package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import static dev.loginrelay.controller.model.SessionState.AWAITING_USER;
import static dev.loginrelay.controller.model.SessionState.STARTING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** What operators run by hand (sql/README.md) works on the real schema, and changes are NOTIFYed. */
@ExtendWith(VertxExtension.class)
class OperatorQueriesTest {
    /** Verbatim from the operators' runbook; must keep working. */
    private static final String NEWEST_CODEX = "SELECT session_id, provider, status, browser_vm_id, vm_ip, created_at "
        + "FROM auth_sessions WHERE provider = 'codex' ORDER BY created_at DESC LIMIT 3;";

    private static Db db;
    private static SessionStore store;

    @BeforeAll
    static void migrate(Vertx vertx) {
        db = Db.create(vertx, PgFixture.instance().newSchema());
        Await.result(db.migrate());
        store = new SessionStore(db);
    }

    @AfterAll
    static void close() {
        Await.result(db.close());
    }

    @Test
    void runbookQueryReturnsTheThreeNewestCodexRows() {
        List<UUID> codex = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            codex.add(TestSessions.insert(store, "codex").sessionId());
            TestSessions.insert(store, "claude");
        }

        List<Map<String, Object>> rows = query(NEWEST_CODEX);

        assertThat(rows).extracting(r -> r.get("session_id"))
            .containsExactly(codex.get(4), codex.get(3), codex.get(2));
        assertThat(rows).allSatisfy(r -> assertThat(r).containsEntry("provider", "codex")
            .containsEntry("status", "pending").containsKeys("browser_vm_id", "vm_ip", "created_at"));
    }

    @Test
    void recentSessionsShowsTheLastDayWithoutAuthUrlOrUserCode() {
        AuthSession fresh = TestSessions.insert(store, "codex");
        AuthSession old = TestSessions.insert(store, "codex");
        sql("UPDATE auth_sessions SET created_at = now() - interval '2 days' WHERE session_id = '"
            + old.sessionId() + "'");

        List<Map<String, Object>> rows = query("SELECT * FROM recent_sessions");

        assertThat(rows).extracting(r -> r.get("session_id")).contains(fresh.sessionId())
            .doesNotContain(old.sessionId());
        assertThat(rows.get(0)).doesNotContainKeys("auth_url", "user_code", "session_token_hash")
            .containsKeys("owner", "status", "age");
    }

    @Test
    void stuckSessionsListsIdleAndOverdueOpenSessionsOnly() {
        AuthSession moving = TestSessions.inState(store, "gemini", STARTING);
        AuthSession idle = TestSessions.inState(store, "gemini", AWAITING_USER);
        AuthSession overdue = TestSessions.inState(store, "gemini", STARTING);
        AuthSession finished = TestSessions.inState(store, "gemini", SessionState.FAILED);
        sql("UPDATE auth_sessions SET updated_at = now() - interval '3 minutes' WHERE session_id IN ('"
            + idle.sessionId() + "', '" + finished.sessionId() + "')");
        TestSessions.expire(db, overdue.sessionId());

        Map<Object, Object> reasons = new LinkedHashMap<>();
        query("SELECT session_id, reason FROM stuck_sessions").forEach(r -> reasons.put(r.get("session_id"),
            r.get("reason")));

        assertThat(reasons).containsEntry(idle.sessionId(), "idle")
            .containsEntry(overdue.sessionId(), "past_deadline")
            .doesNotContainKeys(moving.sessionId(), finished.sessionId());
    }

    @Test
    void failureReasonsCountsLastSevenDaysByProviderAndErrorCode() {
        String provider = "fr-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 2; i++) {
            failed(provider, "CLI_EXITED");
        }
        AuthSession longAgo = failed(provider, "CLI_EXITED");
        sql("UPDATE auth_sessions SET finished_at = now() - interval '8 days' WHERE session_id = '"
            + longAgo.sessionId() + "'");
        failed(provider, "BAD_CODE");
        TestSessions.inState(store, provider, SessionState.CANCELLED);

        Map<Object, Object> counts = new LinkedHashMap<>();
        query("SELECT error_code, sessions FROM failure_reasons WHERE provider = '" + provider + "'")
            .forEach(r -> counts.put(r.get("error_code"), r.get("sessions")));

        assertThat(counts).containsExactly(Map.entry("CLI_EXITED", 2L), Map.entry("BAD_CODE", 1L));
    }

    @Test
    @Timeout(20)
    void everyCommittedChangeNotifiesItsSessionIdOnce() throws SQLException {
        AuthSession s = TestSessions.insert(store, "codex");
        try (Connection listener = PgFixture.connect(db.config()); Statement st = listener.createStatement()) {
            st.execute("LISTEN auth_session_changed");

            Await.result(store.transition(s.sessionId(), SessionState.PENDING, STARTING, SessionChange.none()));
            List<String> afterTransition = payloads(listener, 5000);
            Await.result(store.recordAgentEvent(s.sessionId(), 1, "agent.started", null));
            List<String> afterAgentEvent = payloads(listener, 5000);

            assertThat(afterTransition).as("row trigger + event trigger fold into one").containsExactly(
                s.sessionId().toString());
            assertThat(afterAgentEvent).containsExactly(s.sessionId().toString());
        }
    }

    /** Waits up to {@code timeoutMs} for the first notification, then collects any that follow within 200 ms. */
    private static List<String> payloads(Connection c, int timeoutMs) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        List<String> out = new ArrayList<>();
        for (PGNotification[] batch = pg.getNotifications(timeoutMs); batch != null && batch.length > 0;
             batch = pg.getNotifications(200)) {
            Arrays.stream(batch).map(PGNotification::getParameter).forEach(out::add);
        }
        return out;
    }

    private static AuthSession failed(String provider, String errorCode) {
        AuthSession s = TestSessions.inState(store, provider, STARTING);
        return Await.result(store.transition(s.sessionId(), STARTING, SessionState.FAILED,
            SessionChange.none().withError(errorCode, "test failure")));
    }

    private static void sql(String statement) {
        Await.result(db.call(c -> {
            try (Statement st = c.createStatement()) {
                return st.executeUpdate(statement);
            }
        }));
    }

    private static List<Map<String, Object>> query(String sql) {
        return Await.result(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }));
    }
}

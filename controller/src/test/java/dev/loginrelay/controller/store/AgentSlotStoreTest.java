package dev.loginrelay.controller.store;

import static dev.loginrelay.controller.model.SessionState.CANCELLED;
import static dev.loginrelay.controller.model.SessionState.PENDING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The slot table through two replicas' stores (two pools) on one database. */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class AgentSlotStoreTest {
    /** Verbatim from sql/README.md: must keep working. */
    private static final String WHO_HOLDS = "SELECT t.agent_id, t.slot, t.session_id, s.status, t.claimed_at\n"
        + "FROM agent_slots t JOIN auth_sessions s USING (session_id) ORDER BY t.agent_id, t.claimed_at;";

    private static Db dbA;
    private static SessionStore sessions;
    private static AgentSlotStore replicaA;
    private static AgentSlotStore replicaB;
    /** No grace: frees an ended session's slot at the first sweep. */
    private static AgentSlotStore sweeper;

    @BeforeAll
    static void start(Vertx vertx) {
        DbConfig config = PgFixture.instance().newSchema();
        dbA = Db.create(vertx, config.withPoolName("slots-a"));
        Await.result(dbA.migrate());
        sessions = new SessionStore(dbA);
        replicaA = new AgentSlotStore(dbA, AgentSlotStore.DEFAULT_GRACE);
        replicaB = new AgentSlotStore(Db.create(vertx, config.withPoolName("slots-b")), AgentSlotStore.DEFAULT_GRACE);
        sweeper = new AgentSlotStore(Db.create(vertx, config.withPoolName("slots-c")), Duration.ZERO);
    }

    @AfterAll
    static void close() {
        replicaA.close();
        replicaB.close();
        sweeper.close();
    }

    @Test
    void replicasRacingForTheLastSlotsGetExactlyTheCapacity() {
        for (int capacity : List.of(1, 3)) {
            String agent = "race-" + capacity;
            List<Future<Boolean>> claims = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                UUID s = TestSessions.insert(sessions, "codex").sessionId();
                claims.add((i % 2 == 0 ? replicaA : replicaB).claim(agent, capacity, s));
            }
            Await.result(Future.join(claims));
            assertThat(claims.stream().filter(f -> f.result()).count()).as("capacity %d", capacity)
                .isEqualTo(capacity);
            assertThat(Await.result(replicaB.held())).containsEntry(agent, capacity);
        }
    }

    @Test
    void claimingAndAdoptingAreIdempotentPerSession() {
        UUID s = TestSessions.insert(sessions, "codex").sessionId();
        UUID other = TestSessions.insert(sessions, "codex").sessionId();
        assertThat(Await.result(replicaA.claim("idem", 1, s))).isTrue();
        assertThat(Await.result(replicaB.claim("idem", 1, s))).as("the same session again: it holds it").isTrue();
        Await.result(replicaB.adopt("idem", s));
        assertThat(Await.result(replicaA.held())).as("counted once").containsEntry("idem", 1);
        assertThat(Await.result(replicaB.claim("idem", 1, other))).as("full").isFalse();
        assertThat(Await.result(replicaB.claim("elsewhere", 5, s))).as("it holds a slot on another agent").isFalse();

        Await.result(replicaB.adopt("idem", other));
        assertThat(Await.result(replicaA.held())).as("found on a full agent, still counted").containsEntry("idem", 2);
        Await.result(replicaA.release(s));
        assertThat(Await.result(replicaA.claim("idem", 2, TestSessions.insert(sessions, "codex").sessionId())))
            .as("at capacity 2, room for one more beside the adopted session").isTrue();
        assertThat(Await.result(replicaA.claim("idem", 2, TestSessions.insert(sessions, "codex").sessionId())))
            .isFalse();
    }

    @Test
    void theRunbookQueryShowsWhoHoldsWhichSlot() {
        UUID s = TestSessions.insert(sessions, "codex").sessionId();
        assertThat(Await.result(replicaB.claim("runbook", 2, s))).isTrue();
        List<List<Object>> rows = Await.result(dbA.call(c -> {
            List<List<Object>> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(WHO_HOLDS); java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(List.of(rs.getString(1), rs.getInt(2), rs.getObject(3), rs.getString(4)));
                }
            }
            return out;
        }));
        assertThat(rows).contains(List.of("runbook", 0, s, "pending"));
    }

    @Test
    void aSessionThatEndedOrIsGoneGetsNoSlot() {
        AuthSession ended = TestSessions.inState(sessions, "codex", CANCELLED);
        ApiException e = Await.failure(replicaA.claim("ended", 1, ended.sessionId()), ErrorCode.ILLEGAL_TRANSITION);
        assertThat(e.getMessage()).contains(ended.sessionId().toString(), "cancelled");
        e = Await.failure(replicaA.claim("ended", 1, UUID.randomUUID()), ErrorCode.ILLEGAL_TRANSITION);
        assertThat(e.getMessage()).contains("gone");
        Await.result(replicaA.adopt("ended", ended.sessionId()));
        assertThat(Await.result(replicaA.held())).doesNotContainKey("ended");
    }

    @Test
    void theSweepFreesTheSlotsOfSessionsThatEndedOrAreGone() {
        AuthSession crashed = TestSessions.insert(sessions, "codex");
        AuthSession deleted = TestSessions.insert(sessions, "codex");
        AuthSession live = TestSessions.insert(sessions, "codex");
        assertThat(Await.result(replicaA.claim("crash", 2, crashed.sessionId()))).isTrue();
        assertThat(Await.result(replicaA.claim("crash", 2, deleted.sessionId()))).isTrue();
        assertThat(Await.result(replicaA.claim("crash-2", 1, live.sessionId()))).isTrue();
        // Replica A is gone without releasing; its sessions end (the timeout sweeper) or are deleted (retention).
        Await.result(sessions.transition(crashed.sessionId(), PENDING, CANCELLED, SessionChange.none()));
        Await.result(dbA.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_sessions WHERE session_id = ?")) {
                ps.setObject(1, deleted.sessionId());
                return ps.executeUpdate();
            }
        }));
        assertThat(Await.result(replicaB.held())).as("the deleted session's row went with it")
            .containsEntry("crash", 1);
        assertThat(Await.result(replicaB.sweep())).as("within the grace, a just-ended session keeps its slot")
            .isZero();
        assertThat(Await.result(sweeper.sweep())).isGreaterThanOrEqualTo(1);
        Map<String, Integer> held = Await.result(replicaB.held());
        assertThat(held).doesNotContainKey("crash").containsEntry("crash-2", 1);
        assertThat(Await.result(replicaB.claim("crash", 1, TestSessions.insert(sessions, "codex").sessionId())))
            .isTrue();
    }
}

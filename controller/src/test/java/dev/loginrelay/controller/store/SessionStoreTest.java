package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import static dev.loginrelay.controller.model.SessionState.AWAITING_USER;
import static dev.loginrelay.controller.model.SessionState.CANCELLED;
import static dev.loginrelay.controller.model.SessionState.PENDING;
import static dev.loginrelay.controller.model.SessionState.STARTING;
import static dev.loginrelay.controller.model.SessionState.VERIFYING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.Expects;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.TokenHash;
import dev.loginrelay.controller.model.UserStep;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(VertxExtension.class)
class SessionStoreTest {
    private static Db db;
    private static SessionStore store;
    private static SessionEventStore events;

    @BeforeAll
    static void migrate(Vertx vertx) {
        db = Db.create(vertx, PgFixture.instance().newSchema());
        assertThat(Await.result(db.migrate())).as("migrations run on a fresh schema").isEqualTo(4);
        store = new SessionStore(db);
        events = new SessionEventStore(db);
    }

    @AfterAll
    static void close() {
        Await.result(db.close());
    }

    @Test
    void insertsPendingSessionWithCreatedEvent() {
        NewSession n = new NewSession("alice", "codex", TokenHash.of("tok-1"), "key-1", Duration.ofMinutes(5));

        AuthSession s = Await.result(store.insert(n));

        assertThat(s.owner()).isEqualTo("alice");
        assertThat(s.provider()).isEqualTo("codex");
        assertThat(s.status()).isEqualTo(PENDING);
        assertThat(s.userStep()).isEqualTo(UserStep.NONE);
        assertThat(s.idempotencyKey()).isEqualTo("key-1");
        assertThat(s.version()).isZero();
        assertThat(s.lastEventSeq()).isEqualTo(1);
        assertThat(s.finishedAt()).isNull();
        assertThat(Duration.between(s.createdAt(), s.deadlineAt())).isEqualTo(Duration.ofMinutes(5));
        List<SessionEvent> timeline = Await.result(events.timeline(s.sessionId(), 0));
        assertThat(timeline).singleElement().satisfies(e -> {
            assertThat(e.seq()).isEqualTo(1);
            assertThat(e.kind()).isEqualTo(SessionEvent.KIND_CREATED);
            assertThat(e.from()).isNull();
            assertThat(e.to()).isEqualTo(PENDING);
        });
    }

    @Test
    void findsSessionByIdTokenHashIdempotencyKeyAndActiveOwnerProvider() {
        NewSession n = new NewSession("bob", "claude", TokenHash.of("tok-bob"), "key-bob", Duration.ofMinutes(5));
        AuthSession s = Await.result(store.insert(n));

        assertThat(Await.result(store.findById(s.sessionId()))).contains(s);
        assertThat(Await.result(store.findByTokenHash(TokenHash.of("tok-bob")))).contains(s);
        assertThat(Await.result(store.findByIdempotencyKey("bob", "key-bob"))).contains(s);
        assertThat(Await.result(store.findActive("bob", "claude"))).contains(s);
    }

    @Test
    void findReturnsEmptyForUnknownKeys() {
        assertThat(Await.result(store.findById(UUID.randomUUID()))).isEmpty();
        assertThat(Await.result(store.findByTokenHash(TokenHash.of("no-such-token")))).isEmpty();
        assertThat(Await.result(store.findByIdempotencyKey("nobody", "key"))).isEmpty();
        assertThat(Await.result(store.findActive("nobody", "codex"))).isEmpty();
    }

    @Test
    void secondActiveSessionForSameOwnerAndProviderIsConflict() {
        AuthSession first = Await.result(store.insert(session("carol", "codex", null)));

        ApiException e = Await.failure(store.insert(session("carol", "codex", null)), ErrorCode.CONFLICT);

        assertThat(e.getMessage()).contains("auth_sessions_one_active_idx");
        assertThat(Await.result(store.insert(session("carol", "gemini", null))).status()).isEqualTo(PENDING);
        Await.result(store.transition(first.sessionId(), PENDING, CANCELLED, SessionChange.none()));
        assertThat(Await.result(store.insert(session("carol", "codex", null))).status())
            .as("a finished session no longer blocks a new one").isEqualTo(PENDING);
    }

    @Test
    void reusedIdempotencyKeyOfSameOwnerIsConflict() {
        Await.result(store.insert(session("dave", "codex", "same-key")));

        ApiException e = Await.failure(store.insert(session("dave", "claude", "same-key")), ErrorCode.CONFLICT);

        assertThat(e.getMessage()).contains("auth_sessions_idempotency_key");
        assertThat(Await.result(store.insert(session("erin", "codex", "same-key"))).owner()).isEqualTo("erin");
    }

    @Test
    void checkConstraintRefusesUnknownStatusWrittenByRawSql() {
        AuthSession s = TestSessions.insert(store, "codex");

        ApiException e = Await.failure(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                "UPDATE auth_sessions SET status = 'succeeded' WHERE session_id = ?")) {
                ps.setObject(1, s.sessionId());
                return ps.executeUpdate();
            }
        }), ErrorCode.INTERNAL);

        assertThat(Await.sqlState(e)).as("check_violation").isEqualTo("23514");
        assertThat(e.getMessage()).contains("23514");
        assertThat(Await.result(store.findById(s.sessionId()))).contains(s);
    }

    /** The enum and the CHECK constraint list the same statuses. */
    @ParameterizedTest
    @EnumSource(SessionState.class)
    void checkConstraintAcceptsEveryEnumStatus(SessionState state) {
        AuthSession s = TestSessions.insert(store, "codex");

        int updated = Await.result(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE auth_sessions SET status = ?, "
                + "finished_at = CASE WHEN ? THEN now() END WHERE session_id = ?")) {
                ps.setString(1, state.wireName());
                ps.setBoolean(2, state.isTerminal());
                ps.setObject(3, s.sessionId());
                return ps.executeUpdate();
            }
        }));

        assertThat(updated).isEqualTo(1);
        assertThat(Await.result(store.findById(s.sessionId())).orElseThrow().status()).isEqualTo(state);
    }

    @Test
    void agentEventWithSameSeqTwiceIsStoredOnce() {
        AuthSession s = TestSessions.inState(store, "codex", STARTING);
        JsonObject detail = new JsonObject().put("line", 12);

        assertThat(Await.result(store.recordAgentEvent(s.sessionId(), 3, "agent.url_found", detail))).isTrue();
        assertThat(Await.result(store.recordAgentEvent(s.sessionId(), 3, "agent.url_found", detail))).isFalse();
        assertThat(Await.result(store.recordAgentEvent(s.sessionId(), 2, "agent.started", null))).isTrue();

        List<SessionEvent> agentEvents = Await.result(events.timeline(s.sessionId(), 0)).stream()
            .filter(e -> e.agentSeq() != null).toList();
        assertThat(agentEvents).extracting(SessionEvent::agentSeq).containsExactly(3L, 2L);
        assertThat(agentEvents.get(0).detail()).isEqualTo(detail);
        AuthSession after = Await.result(store.findById(s.sessionId())).orElseThrow();
        assertThat(after.lastAgentSeq()).as("highest, not latest").isEqualTo(3);
        assertThat(after.lastEventSeq()).isEqualTo(s.lastEventSeq() + 2);
        assertThat(after.status()).isEqualTo(STARTING);
    }

    @Test
    void agentEventForUnknownSessionIsNotFound() {
        Await.failure(store.recordAgentEvent(UUID.randomUUID(), 1, "agent.started", null),
            ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void updatesUserStepOnlyWhileAwaitingUser() {
        AuthSession s = TestSessions.inState(store, "gemini", AWAITING_USER);
        UserStep step = new UserStep(Expects.CODE, "https://accounts.example.com/o?state=abc123secret", null, null);

        AuthSession updated = Await.result(store.updateUserStep(s.sessionId(), step));
        Await.result(store.transition(s.sessionId(), AWAITING_USER, VERIFYING, SessionChange.none()));
        ApiException e = Await.failure(store.updateUserStep(s.sessionId(), step), ErrorCode.ILLEGAL_TRANSITION);

        assertThat(updated.userStep()).isEqualTo(step);
        assertThat(updated.version()).isEqualTo(s.version() + 1);
        assertThat(e.getMessage()).contains("is verifying, not awaiting_user");
        SessionEvent stepEvent = Await.result(events.timeline(s.sessionId(), s.lastEventSeq())).get(0);
        assertThat(stepEvent.kind()).isEqualTo(SessionEvent.KIND_USER_STEP);
        assertThat(stepEvent.detail().encode()).contains("\"auth_url\":true").doesNotContain("abc123secret");
    }

    @Test
    void timeoutOverdueMovesOnlyOverdueOpenSessions() {
        AuthSession overdue = TestSessions.inState(store, "codex", AWAITING_USER);
        AuthSession notYet = TestSessions.inState(store, "codex", AWAITING_USER);
        AuthSession finished = TestSessions.inState(store, "codex", CANCELLED);
        TestSessions.expire(db, overdue.sessionId());
        TestSessions.expire(db, finished.sessionId());

        List<AuthSession> moved = Await.result(store.timeoutOverdue(100));

        assertThat(moved).extracting(AuthSession::sessionId).containsExactly(overdue.sessionId());
        AuthSession timedOut = moved.get(0);
        assertThat(timedOut.status()).isEqualTo(SessionState.TIMEOUT);
        assertThat(timedOut.errorCode()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(timedOut.finishedAt()).isNotNull();
        SessionEvent last = Await.result(events.timeline(overdue.sessionId(), overdue.lastEventSeq())).get(0);
        assertThat(last.kind()).isEqualTo(SessionEvent.KIND_TIMEOUT);
        assertThat(last.from()).isEqualTo(AWAITING_USER);
        assertThat(last.to()).isEqualTo(SessionState.TIMEOUT);
        assertThat(Await.result(store.findById(notYet.sessionId())).orElseThrow().status()).isEqualTo(AWAITING_USER);
        assertThat(Await.result(store.timeoutOverdue(100))).as("second sweep finds nothing").isEmpty();
    }

    @Test
    void listsNewestFirstFilteredByStatusAndProvider() {
        String provider = "lst-" + UUID.randomUUID().toString().substring(0, 8);
        AuthSession a = TestSessions.insert(store, provider);
        AuthSession b = TestSessions.inState(store, provider, STARTING);
        AuthSession c = TestSessions.insert(store, provider);

        assertThat(Await.result(store.list(null, provider, 10))).extracting(AuthSession::sessionId)
            .containsExactly(c.sessionId(), b.sessionId(), a.sessionId());
        assertThat(Await.result(store.list(PENDING, provider, 10))).extracting(AuthSession::sessionId)
            .containsExactly(c.sessionId(), a.sessionId());
        assertThat(Await.result(store.list(null, provider, 1))).hasSize(1);
        assertThat(Await.result(store.list(STARTING, null, 1000))).extracting(AuthSession::sessionId)
            .contains(b.sessionId());
        Await.failure(store.list(null, null, 0), ErrorCode.BAD_REQUEST);
    }

    @Test
    void listsAndCountsWithinACreationTimeRange() {
        String provider = "rng-" + UUID.randomUUID().toString().substring(0, 8);
        AuthSession a = TestSessions.insert(store, provider);
        AuthSession b = TestSessions.inState(store, provider, STARTING);
        AuthSession c = TestSessions.insert(store, provider);
        Instant since = b.createdAt();
        Instant until = c.createdAt();

        assertThat(Await.result(store.list(null, provider, since, null, 10))).extracting(AuthSession::sessionId)
            .as("since is inclusive").containsExactly(c.sessionId(), b.sessionId());
        assertThat(Await.result(store.list(null, provider, null, until, 10))).extracting(AuthSession::sessionId)
            .as("until is exclusive").containsExactly(b.sessionId(), a.sessionId());
        assertThat(Await.result(store.list(null, provider, since, until, 10))).extracting(AuthSession::sessionId)
            .containsExactly(b.sessionId());
        assertThat(Await.result(store.list(PENDING, provider, since, null, 10))).extracting(AuthSession::sessionId)
            .containsExactly(c.sessionId());
        assertThat(Await.result(store.list(null, provider, until.plusSeconds(3600), null, 10))).isEmpty();

        assertThat(Await.result(store.countByStatus(provider, null, null)))
            .containsExactlyInAnyOrderEntriesOf(Map.of(PENDING, 2L, STARTING, 1L));
        assertThat(Await.result(store.countByStatus(provider, since, until))).containsExactlyEntriesOf(
            Map.of(STARTING, 1L));
        assertThat(Await.result(store.countByStatus(null, since, null)).get(PENDING)).isGreaterThanOrEqualTo(1L);

        Await.failure(store.list(null, provider, until, since, 10), ErrorCode.BAD_REQUEST);
        Await.failure(store.list(null, provider, since, since, 10), ErrorCode.BAD_REQUEST);
        Await.failure(store.countByStatus(provider, until, since), ErrorCode.BAD_REQUEST);
    }

    @Test
    void timelinePagesAfterSeq() {
        AuthSession s = TestSessions.inState(store, "codex", VERIFYING);

        assertThat(Await.result(events.timeline(s.sessionId(), 0))).extracting(SessionEvent::seq)
            .containsExactly(1L, 2L, 3L, 4L);
        assertThat(Await.result(events.timeline(s.sessionId(), 2))).extracting(SessionEvent::seq)
            .containsExactly(3L, 4L);
        assertThat(Await.result(events.timeline(s.sessionId(), 1, 2))).extracting(SessionEvent::seq)
            .containsExactly(2L, 3L);
        assertThat(Await.result(events.timeline(s.sessionId(), 4))).isEmpty();
    }

    @Test
    void timelineRowsCannotBeRewritten() {
        AuthSession s = TestSessions.insert(store, "codex");

        ApiException e = Await.failure(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                "UPDATE auth_session_events SET kind = 'forged' WHERE session_id = ?")) {
                ps.setObject(1, s.sessionId());
                return ps.executeUpdate();
            }
        }), ErrorCode.INTERNAL);

        assertThat(Await.sqlState(e)).as("restrict_violation from the trigger").isEqualTo("23001");
    }

    private static NewSession session(String owner, String provider, String idempotencyKey) {
        return new NewSession(owner, provider, TokenHash.of(UUID.randomUUID().toString()), idempotencyKey,
            Duration.ofMinutes(5));
    }
}

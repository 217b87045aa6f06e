package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import static dev.loginrelay.controller.model.SessionState.AWAITING_USER;
import static dev.loginrelay.controller.model.SessionState.PENDING;
import static dev.loginrelay.controller.model.SessionState.STARTING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.Expects;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.UserStep;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every edge of the lifecycle through the store: legal ones move, illegal ones change nothing. */
@ExtendWith(VertxExtension.class)
class SessionTransitionTest {
    private static final String AUTH_URL = "https://auth.example.com/authorize?state=st4te-value&code_challenge=cc";

    private static Db db;
    private static SessionStore store;
    private static SessionEventStore events;

    @BeforeAll
    static void migrate(Vertx vertx) {
        db = Db.create(vertx, PgFixture.instance().newSchema());
        Await.result(db.migrate());
        store = new SessionStore(db);
        events = new SessionEventStore(db);
    }

    @AfterAll
    static void close() {
        Await.result(db.close());
    }

    static Stream<Arguments> pairs(boolean legal) {
        return Arrays.stream(SessionState.values()).flatMap(from -> Arrays.stream(SessionState.values())
            .filter(to -> from.canMoveTo(to) == legal)
            .map(to -> Arguments.of(from, to)));
    }

    static Stream<Arguments> legalEdges() {
        return pairs(true);
    }

    static Stream<Arguments> illegalEdges() {
        return pairs(false);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("legalEdges")
    void movesAlongEveryLegalEdge(SessionState from, SessionState to) {
        AuthSession before = TestSessions.inState(store, "codex", from);

        AuthSession after = Await.result(store.transition(before.sessionId(), from, to,
            SessionChange.none().withDetail(new JsonObject().put("by", "test"))));

        assertThat(after.status()).isEqualTo(to);
        assertThat(after.version()).isEqualTo(before.version() + 1);
        assertThat(after.lastEventSeq()).isEqualTo(before.lastEventSeq() + 1);
        assertThat(after.finishedAt() != null).as("finishedAt set").isEqualTo(to.isTerminal());
        assertThat(after.updatedAt()).isAfterOrEqualTo(before.updatedAt());
        assertThat(Await.result(store.findById(before.sessionId()))).contains(after);
        SessionEvent last = lastEvent(before.sessionId());
        assertThat(last.seq()).isEqualTo(after.lastEventSeq());
        assertThat(last.kind()).isEqualTo(SessionEvent.KIND_STATUS);
        assertThat(last.from()).isEqualTo(from);
        assertThat(last.to()).isEqualTo(to);
        assertThat(last.detail().getString("by")).isEqualTo("test");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("illegalEdges")
    void refusesEveryIllegalEdgeAndChangesNothing(SessionState from, SessionState to) {
        AuthSession before = TestSessions.inState(store, "codex", from);
        List<SessionEvent> timeline = Await.result(events.timeline(before.sessionId(), 0));

        ApiException e = Await.failure(store.transition(before.sessionId(), from, to, SessionChange.none()),
            ErrorCode.ILLEGAL_TRANSITION);

        assertThat(e.getMessage()).contains(before.sessionId().toString(), from.wireName(), to.wireName());
        assertThat(Await.result(store.findById(before.sessionId()))).contains(before);
        assertThat(Await.result(events.timeline(before.sessionId(), 0))).isEqualTo(timeline);
    }

    /** The CAS itself refuses: the edge is legal, but the row is no longer in the state the caller saw. */
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("legalEdges")
    void refusesLegalEdgeWhenSessionIsInAnotherState(SessionState from, SessionState to) {
        SessionState actual = from == PENDING ? STARTING : PENDING;
        AuthSession before = TestSessions.inState(store, "codex", actual);

        ApiException e = Await.failure(store.transition(before.sessionId(), from, to, SessionChange.none()),
            ErrorCode.ILLEGAL_TRANSITION);

        assertThat(e.getMessage()).contains("is " + actual.wireName() + ", not " + from.wireName());
        assertThat(Await.result(store.findById(before.sessionId()))).contains(before);
        assertThat(Await.result(events.timeline(before.sessionId(), 0))).hasSize((int) before.lastEventSeq());
    }

    @Test
    void transitionOfUnknownSessionIsNotFound() {
        Await.failure(store.transition(UUID.randomUUID(), PENDING, STARTING, SessionChange.none()),
            ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void awaitingUserStoresTheUserStepAndTerminalMoveClearsIt() {
        AuthSession s = TestSessions.inState(store, "gemini", STARTING);
        UserStep step = new UserStep(Expects.CALLBACK_URL, AUTH_URL, null, null);

        AuthSession waiting = Await.result(store.transition(s.sessionId(), STARTING, AWAITING_USER,
            SessionChange.none().withUserStep(step)));
        AuthSession cancelled = Await.result(store.transition(s.sessionId(), AWAITING_USER,
            SessionState.CANCELLED, SessionChange.none()));

        assertThat(waiting.userStep()).isEqualTo(step);
        assertThat(cancelled.userStep()).as("auth URL (OAuth state) dropped at the end").isEqualTo(UserStep.NONE);
        assertThat(Await.result(events.timeline(s.sessionId(), 0)).toString()).doesNotContain("st4te-value");
    }

    @Test
    void keepsPlacementAndAccountWhenLaterChangesOmitThem() {
        AuthSession s = TestSessions.insert(store, "claude");
        JsonObject account = new JsonObject().put("email", "someone@example.com");

        Await.result(store.transition(s.sessionId(), PENDING, STARTING,
            SessionChange.none().withPlacement("agent-7", "vm-42", "10.1.2.3")));
        AuthSession failed = Await.result(store.transition(s.sessionId(), STARTING, SessionState.FAILED,
            SessionChange.none().withError("CLI_EXITED", "exit status 3").withAccount(account)));

        assertThat(failed.agentId()).isEqualTo("agent-7");
        assertThat(failed.browserVmId()).isEqualTo("vm-42");
        assertThat(failed.vmIp()).isEqualTo("10.1.2.3");
        assertThat(failed.errorCode()).isEqualTo("CLI_EXITED");
        assertThat(failed.errorMessage()).isEqualTo("exit status 3");
        assertThat(failed.account()).isEqualTo(account);
        assertThat(lastEvent(s.sessionId()).detail().getString("error_code")).isEqualTo("CLI_EXITED");
    }

    private static SessionEvent lastEvent(UUID sessionId) {
        List<SessionEvent> timeline = Await.result(events.timeline(sessionId, 0));
        return timeline.get(timeline.size() - 1);
    }
}

package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.SessionChange;
import static dev.loginrelay.controller.model.SessionState.READY;
import static dev.loginrelay.controller.model.SessionState.TIMEOUT;
import static dev.loginrelay.controller.model.SessionState.VERIFYING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two controller replicas (two pools, two worker executors) on one database. */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class SessionRaceTest {
    private static final int RACES = 50;

    private static Db dbA;
    private static Db dbB;
    private static SessionStore replicaA;
    private static SessionStore replicaB;
    private static SessionEventStore events;
    private static int migrationsRun;

    @BeforeAll
    static void startReplicas(Vertx vertx) {
        DbConfig config = PgFixture.instance().newSchema();
        dbA = Db.create(vertx, config.withPoolName("replica-a"));
        dbB = Db.create(vertx, config.withPoolName("replica-b"));
        Future<Integer> a = dbA.migrate();
        Future<Integer> b = dbB.migrate();
        Await.result(Future.all(a, b));
        migrationsRun = a.result() + b.result();
        replicaA = new SessionStore(dbA);
        replicaB = new SessionStore(dbB);
        events = new SessionEventStore(dbA);
    }

    @AfterAll
    static void close() {
        Await.result(Future.join(dbA.close(), dbB.close()));
    }

    @Test
    void replicasStartingTogetherMigrateOnce() {
        assertThat(migrationsRun).as("Flyway's lock lets one replica apply V1 to V4").isEqualTo(4);
    }

    @Test
    void completionAndTimeoutRaceHasExactlyOneWinner() {
        int readyWins = 0;
        for (int i = 0; i < RACES; i++) {
            AuthSession s = TestSessions.inState(replicaA, "codex", VERIFYING);
            Future<AuthSession> complete = replicaA.transition(s.sessionId(), VERIFYING, READY, SessionChange.none());
            Future<AuthSession> timeout = replicaB.transition(s.sessionId(), VERIFYING, TIMEOUT, SessionChange.none());
            settle(complete, timeout);

            assertThat(complete.succeeded() ^ timeout.succeeded()).as("race %d: exactly one wins", i).isTrue();
            Future<AuthSession> loser = complete.succeeded() ? timeout : complete;
            assertThat(loser.cause()).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_TRANSITION));
            SessionState winner = complete.succeeded() ? READY : TIMEOUT;
            readyWins += winner == READY ? 1 : 0;
            assertThat(status(s.sessionId())).isEqualTo(winner);
            assertThat(terminalEvents(s.sessionId())).as("race %d", i).singleElement()
                .satisfies(e -> assertThat(e.to()).isEqualTo(winner));
        }
        System.out.printf("completion vs timeout: ready won %d of %d races%n", readyWins, RACES);
    }

    @Test
    void sweeperAndCompletionRaceHasExactlyOneWinner() {
        int sweeperWins = 0;
        for (int i = 0; i < RACES; i++) {
            AuthSession s = TestSessions.inState(replicaA, "claude", VERIFYING);
            TestSessions.expire(dbA, s.sessionId());
            Future<AuthSession> complete = replicaA.transition(s.sessionId(), VERIFYING, READY, SessionChange.none());
            Future<List<AuthSession>> sweep = replicaB.timeoutOverdue(10);
            settle(complete, sweep);

            boolean swept = sweep.result().stream().anyMatch(x -> x.sessionId().equals(s.sessionId()));
            assertThat(complete.succeeded()).as("race %d: completion wins iff the sweeper did not", i)
                .isNotEqualTo(swept);
            SessionState expected = swept ? TIMEOUT : READY;
            sweeperWins += swept ? 1 : 0;
            // A sweep that skipped the locked row leaves nothing for the next one: the session is READY.
            Await.result(replicaB.timeoutOverdue(10));
            assertThat(status(s.sessionId())).isEqualTo(expected);
            assertThat(terminalEvents(s.sessionId())).singleElement()
                .satisfies(e -> assertThat(e.to()).isEqualTo(expected));
        }
        System.out.printf("sweeper vs completion: sweeper won %d of %d races%n", sweeperWins, RACES);
    }

    @Test
    void twoSweepersTimeOutEachOverdueSessionExactlyOnce() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            AuthSession s = TestSessions.inState(replicaA, "gemini", i % 2 == 0 ? SessionState.PENDING : VERIFYING);
            TestSessions.expire(dbA, s.sessionId());
            ids.add(s.sessionId());
        }

        Future<List<UUID>> a = sweepUntilEmpty(replicaA, new ArrayList<>());
        Future<List<UUID>> b = sweepUntilEmpty(replicaB, new ArrayList<>());
        settle(a, b);

        List<UUID> all = new ArrayList<>(a.result());
        all.addAll(b.result());
        assertThat(all).as("no session timed out twice").doesNotHaveDuplicates();
        assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
        System.out.printf("two sweepers: replica-a %d, replica-b %d%n", a.result().size(), b.result().size());
        for (UUID id : ids) {
            assertThat(status(id)).isEqualTo(TIMEOUT);
            assertThat(terminalEvents(id)).singleElement()
                .satisfies(e -> assertThat(e.kind()).isEqualTo(SessionEvent.KIND_TIMEOUT));
        }
    }

    @Test
    void timelineSeqHasNoGapsUnderConcurrentWriters() {
        AuthSession s = TestSessions.inState(replicaA, "codex", SessionState.STARTING);
        List<Future<Boolean>> writes = new ArrayList<>();
        for (long agentSeq = 1; agentSeq <= 30; agentSeq++) {
            // every agent event sent twice, once per replica, as a retried report would be
            writes.add(replicaA.recordAgentEvent(s.sessionId(), agentSeq, "agent.output", null));
            writes.add(replicaB.recordAgentEvent(s.sessionId(), agentSeq, "agent.output", null));
        }
        Await.result(Future.all(writes));

        long stored = writes.stream().filter(Future::result).count();
        List<SessionEvent> timeline = Await.result(events.timeline(s.sessionId(), 0));
        assertThat(stored).as("each agent seq stored once").isEqualTo(30);
        assertThat(timeline).extracting(SessionEvent::seq)
            .containsExactlyElementsOf(LongStream.rangeClosed(1, s.lastEventSeq() + 30).boxed().toList());
        Set<Long> agentSeqs = new HashSet<>();
        timeline.stream().map(SessionEvent::agentSeq).filter(x -> x != null).forEach(agentSeqs::add);
        assertThat(agentSeqs).hasSize(30);
        AuthSession after = Await.result(replicaB.findById(s.sessionId())).orElseThrow();
        assertThat(after.lastAgentSeq()).isEqualTo(30);
        assertThat(after.lastEventSeq()).isEqualTo(s.lastEventSeq() + 30);
    }

    private static Future<List<UUID>> sweepUntilEmpty(SessionStore store, List<UUID> acc) {
        return store.timeoutOverdue(7).compose(moved -> {
            moved.forEach(m -> acc.add(m.sessionId()));
            return moved.isEmpty() ? Future.succeededFuture(acc) : sweepUntilEmpty(store, acc);
        });
    }

    /** Waits until both futures are done, whatever their outcome. */
    private static void settle(Future<?> a, Future<?> b) {
        Await.result(Future.join(a, b).otherwiseEmpty());
    }

    private static SessionState status(UUID id) {
        return Await.result(replicaB.findById(id)).orElseThrow().status();
    }

    private static List<SessionEvent> terminalEvents(UUID id) {
        return Await.result(events.timeline(id, 0)).stream()
            .filter(e -> e.to() != null && e.to().isTerminal()).toList();
    }
}

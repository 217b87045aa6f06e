package dev.loginrelay.controller.vm.fixed;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.TokenHash;
import dev.loginrelay.controller.store.AgentSlotStore;
import dev.loginrelay.controller.store.Db;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.store.NewSession;
import dev.loginrelay.controller.store.SessionStore;
import dev.loginrelay.controller.testing.AgentKit;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.loginrelay.controller.testing.AgentKit.await;
import static dev.loginrelay.controller.testing.AgentKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two controller replicas' static pools over one PostgreSQL and one agent of capacity 1 (a loopback server answering
 * {@code /health} as an agent does): the agent is handed to one session at a time, whichever replica asks.
 */
@Timeout(90)
class FixedVmPoolReplicasTest {
    /** Longer than a poll: a session that did not get the agent by then is waiting, not slow. */
    private static final long SETTLE_MS = FixedVmPool.POLL.toMillis() * 2;

    @TempDir
    static Path dir;
    static Vertx vertx;
    static HttpServer agent;
    static AgentClient client;
    static DbConfig database;
    static SessionStore sessions;
    static Db sessionDb;
    static FixedAgent one;
    /** Reads the slot table as an operator would. */
    static AgentSlotStore slots;
    static final AtomicInteger replicas = new AtomicInteger();

    FixedVmPool a;
    FixedVmPool b;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        agent = await(vertx.createHttpServer().requestHandler(r -> r.response()
            .putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("status", "ok").put("version", "test").encode())).listen(0, "127.0.0.1"));
        client = new AgentClient(vertx);
        database = PgFixture.instance().newSchema();
        sessionDb = Db.create(vertx, database.withPoolName("sessions"));
        await(sessionDb.migrate());
        sessions = new SessionStore(sessionDb);
        slots = new AgentSlotStore(sessionDb, AgentSlotStore.DEFAULT_GRACE);
        Path token = Files.writeString(dir.resolve("one.token"), "t".repeat(32));
        one = new FixedAgent("one", "http://127.0.0.1:" + agent.actualPort(), token, 1);
    }

    @AfterAll
    static void stop() {
        slots.close();
        client.close();
        await(vertx.close());
    }

    @BeforeEach
    void startReplicas() {
        a = replica(AgentSlotStore.DEFAULT_GRACE);
        b = replica(Duration.ZERO);
    }

    @AfterEach
    void stopReplicas() {
        a.close();
        b.close();
        // The next test starts with the agent free.
        await(sessionDb.call(c -> c.createStatement().executeUpdate("DELETE FROM agent_slots")));
    }

    /** A replica's pool with its own database pool, as {@code Backends} builds it. */
    private static FixedVmPool replica(Duration grace) {
        Db db = Db.create(vertx, database.withPoolName("replica-" + replicas.incrementAndGet()).withPoolSize(2));
        return new FixedVmPool(List.of(one), client, 0, new AgentSlotStore(db, grace), vertx);
    }

    private static UUID session() {
        return await(sessions.insert(new NewSession("user-" + UUID.randomUUID(), "codex",
            TokenHash.of(UUID.randomUUID().toString()), null, Duration.ofMinutes(10)))).sessionId();
    }

    @Test
    void replicasRacingForTheAgentHandItToOneSessionAtATime() throws Exception {
        for (int round = 0; round < 5; round++) {
            UUID atA = session();
            UUID atB = session();
            Future<AgentHandle> fromA = a.acquire(atA);
            Future<AgentHandle> fromB = b.acquire(atB);
            AgentKit.awaitTrue(() -> fromA.isComplete() || fromB.isComplete(), "one replica gets the agent");
            Thread.sleep(SETTLE_MS);
            assertThat(fromA.isComplete() ^ fromB.isComplete()).as("round %d: exactly one gets it", round).isTrue();
            boolean aWon = fromA.isComplete();
            FixedVmPool winner = aWon ? a : b;
            FixedVmPool loser = aWon ? b : a;
            Future<AgentHandle> waiting = aWon ? fromB : fromA;
            AgentKit.awaitTrue(() -> loser.capacity().get("waiting") == 1, "the other waits");
            assertThat(await(slots.held())).isEqualTo(Map.of("one", 1));

            await(winner.release(await(aWon ? fromA : fromB), aWon ? atA : atB));
            assertThat(await(waiting).agentId()).as("the slot freed on the other replica").isEqualTo("one");
            assertThat(await(slots.held())).isEqualTo(Map.of("one", 1));
            await(loser.release(await(waiting), aWon ? atB : atA));
            assertThat(await(slots.held())).isEmpty();
        }
    }

    @Test
    void sessionsWaitingOnOneReplicaAreServedInTheOrderTheyAsked() throws Exception {
        UUID holder = session();
        AgentHandle held = await(b.acquire(holder));
        UUID first = session();
        UUID second = session();
        Future<AgentHandle> firstWaits = a.acquire(first);
        AgentKit.awaitTrue(() -> a.capacity().get("waiting") == 1, "the first waits");
        Future<AgentHandle> secondWaits = a.acquire(second);
        AgentKit.awaitTrue(() -> a.capacity().get("waiting") == 2, "the second waits behind it");

        await(b.release(held, holder));
        assertThat(await(firstWaits).agentId()).isEqualTo("one");
        Thread.sleep(SETTLE_MS);
        assertThat(secondWaits.isComplete()).as("the second still waits").isFalse();
        await(a.release(held, first));
        assertThat(await(secondWaits).agentId()).isEqualTo("one");
        assertThat(a.capacity()).containsEntry("waiting", 0);
    }

    @Test
    void aSlotLeftByACrashedReplicaIsFreedOnceItsSessionEnds() throws Exception {
        UUID crashed = session();
        await(a.acquire(crashed));
        a.close(); // crashes holding the slot: nobody releases it
        a = replica(AgentSlotStore.DEFAULT_GRACE);

        UUID next = session();
        Future<AgentHandle> waits = b.acquire(next);
        AgentKit.awaitTrue(() -> b.capacity().get("waiting") == 1, "the next session waits");
        // The crashed replica's session ends (its deadline, or a cancel through another replica).
        await(sessions.transition(crashed, SessionState.PENDING, SessionState.CANCELLED, SessionChange.none()));
        assertThat(await(waits).agentId()).as("the sweep freed the slot").isEqualTo("one");
        assertThat(await(slots.held())).isEqualTo(Map.of("one", 1));
    }

    @Test
    void findingAgainAfterARestartCountsTheSessionOnce() throws Exception {
        UUID s = session();
        AgentHandle placed = await(a.acquire(s));
        a.close();
        a = replica(AgentSlotStore.DEFAULT_GRACE); // restarted
        assertThat(await(a.find("one", s))).contains(placed);
        assertThat(await(b.find("one", s))).as("a callback reaching the other replica").contains(placed);
        assertThat(await(slots.held())).isEqualTo(Map.of("one", 1));
        await(a.release(placed, s));
        assertThat(await(b.acquire(session())).agentId()).isEqualTo("one");
    }

    @Test
    void aSessionThatEndsWhileItWaitsNeverGetsTheAgent() throws Exception {
        UUID holder = session();
        AgentHandle held = await(a.acquire(holder));
        UUID late = session();
        Future<AgentHandle> waits = b.acquire(late);
        AgentKit.awaitTrue(() -> b.capacity().get("waiting") == 1, "it waits");
        await(sessions.transition(late, SessionState.PENDING, SessionState.CANCELLED, SessionChange.none()));
        await(a.release(held, holder));
        assertThat(failure(waits, ErrorCode.ILLEGAL_TRANSITION).getMessage()).contains("cancelled");
        assertThat(await(slots.held())).isEmpty();
    }
}

package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.testing.AgentKit;
import dev.loginrelay.controller.vm.local.LocalVmPool;
import static dev.loginrelay.controller.testing.AgentKit.await;
import static dev.loginrelay.controller.testing.AgentKit.awaitState;
import static dev.loginrelay.agent.testing.fakes.FakeBrowser.callbackFor;
import static dev.loginrelay.controller.testing.AgentKit.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** The agent's HTTP API through {@link AgentClient}, against a real agent running the fake loopback CLI. */
@Timeout(60)
class AgentClientTest {
    @TempDir
    static Path dir;
    static AgentKit.LoopbackAgent running;
    static AgentClient client;
    static AgentHandle agent;

    @BeforeAll
    static void startAgent() throws Exception {
        running = new AgentKit.LoopbackAgent(dir);
        client = running.client;
        agent = running.agent;
    }

    @AfterAll
    static void stopAgent() {
        running.close();
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    @Test
    void drivesALoopbackLoginToReadyAndMapsTheAgentsRefusals() {
        String id = newId();
        JsonObject started = await(client.startRun(agent, id, "fake-loopback"));
        assertThat(started.getString("sessionId", id)).isEqualTo(id);
        String authUrl = awaitState(client, agent, id, "awaiting_user").getString("authUrl");
        assertThat(authUrl).startsWith("https://auth.example.test/oauth/authorize?");

        ApiException wrong = failure(client.callback(agent, id, callbackFor(authUrl, "code=abc&state=WRONG")),
            ErrorCode.STATE_MISMATCH);
        assertThat(wrong.code().httpStatus()).isEqualTo(400);
        assertThat(wrong.getMessage()).startsWith("STATE_MISMATCH: ").doesNotContain("code=abc");
        assertThat(AgentError.in(wrong)).hasValueSatisfying(e -> {
            assertThat(e.agentCode()).isEqualTo("STATE_MISMATCH");
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.agentId()).isEqualTo(agent.agentId());
        });
        assertThat(await(client.run(agent, id)).getString("state")).as("nothing reached the CLI")
            .isEqualTo("awaiting_user");

        JsonObject relayed = await(client.callback(agent, id, callbackFor(authUrl, "code=ok&state={state}")));
        assertThat(relayed.getBoolean("accepted")).as("answered once the agent took it").isTrue();
        JsonObject ready = awaitState(client, agent, id, "ready");
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");

        ApiException again = failure(client.callback(agent, id, callbackFor(authUrl, "code=ok&state={state}")),
            ErrorCode.AGENT_CONFLICT);
        assertThat(again.code().httpStatus()).isEqualTo(409);
    }

    @Test
    void cancellingAFinishedRunIsAConflict() {
        String id = newId();
        await(client.startRun(agent, id, "fake-loopback"));
        awaitState(client, agent, id, "awaiting_user");

        assertThat(await(client.cancel(agent, id)).getString("state")).isEqualTo("cancelled");
        ApiException e = failure(client.cancel(agent, id), ErrorCode.AGENT_CONFLICT);

        assertThat(e.getMessage()).startsWith("ILLEGAL_STATE: ");
        assertThat(AgentError.in(e).map(AgentError::httpStatus)).contains(409);
    }

    @Test
    void mapsUnknownRunsAndProviders() {
        failure(client.run(agent, "no-such-session"), ErrorCode.AGENT_RUN_NOT_FOUND);
        ApiException unknown = failure(client.startRun(agent, newId(), "no-such-cli"), ErrorCode.PROVIDER_UNKNOWN);
        assertThat(unknown.getMessage()).startsWith("UNKNOWN_PROVIDER: ").contains("fake-loopback");
        failure(client.startRun(agent, newId(), "qwen"), ErrorCode.PROVIDER_UNAVAILABLE);
        failure(client.run(agent, "../etc/passwd"), ErrorCode.BAD_REQUEST);
    }

    @Test
    void longPollWaitsLongerThanTheOrdinaryDeadline() {
        String id = newId();
        await(client.startRun(agent, id, "fake-loopback"));
        long lastSeq = awaitState(client, agent, id, "awaiting_user").getLong("lastSeq");
        AgentClient quick = new AgentClient(running.vertx, Duration.ofMillis(500));
        try {
            long t0 = System.nanoTime();
            JsonObject page = await(quick.events(agent, id, lastSeq, 1500));
            long tookMs = (System.nanoTime() - t0) / 1_000_000;

            assertThat(page.getJsonArray("events")).isEmpty();
            assertThat(page.getString("state")).isEqualTo("awaiting_user");
            assertThat(tookMs).as("the agent held the poll for waitMs").isBetween(1400L, 5000L);
        } finally {
            quick.close();
            await(client.cancel(agent, id));
        }
    }

    @Test
    void failsFastWhenNothingListens() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        AgentHandle gone = new AgentHandle("gone", "http://127.0.0.1:" + port, Secret.of("x".repeat(20)), "gone",
            "127.0.0.1");
        long t0 = System.nanoTime();
        ApiException e = failure(client.run(gone, "s1"), ErrorCode.AGENT_UNREACHABLE);

        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        assertThat(e.getMessage()).contains("agent gone", "GET /api/v1/runs/s1").doesNotContain("x".repeat(20));
        failure(client.health(gone), ErrorCode.AGENT_UNREACHABLE);
    }

    @Test
    void timesOutOnAnAgentThatAcceptsButNeverAnswers() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket hung = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(hung.accept());
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            }, "hung-agent");
            acceptor.setDaemon(true);
            acceptor.start();
            AgentHandle silent = new AgentHandle("silent", "http://127.0.0.1:" + hung.getLocalPort(),
                Secret.of("y".repeat(20)), "silent", "127.0.0.1");
            AgentClient quick = new AgentClient(running.vertx, Duration.ofMillis(1000));
            try {
                long t0 = System.nanoTime();
                ApiException e = failure(quick.run(silent, "s1"), ErrorCode.AGENT_TIMEOUT);
                long tookMs = (System.nanoTime() - t0) / 1_000_000;

                assertThat(tookMs).isBetween(900L, 4000L);
                assertThat(e.getMessage()).contains("agent silent", "within 1000 ms");
                assertThat(held).as("the request reached the hung agent").isNotEmpty();
            } finally {
                quick.close();
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}

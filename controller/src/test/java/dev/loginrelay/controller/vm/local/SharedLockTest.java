package dev.loginrelay.controller.vm.local;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.testing.AgentKit;
import static dev.loginrelay.controller.testing.AgentKit.await;
import static dev.loginrelay.controller.testing.AgentKit.awaitState;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Codex's browser login binds one fixed port, and a second login on it cancels the first. Two local agents share the
 * provider's lock dir, so the second login queues until the first ends instead of breaking it.
 */
@Timeout(90)
class SharedLockTest {
    @TempDir
    Path dir;

    /** Two agents (each its own process) whose CLI binds one fixed port, in the group {@code fake-fixed-port}. */
    private interface TwoAgents {
        void run(AgentClient client, LocalPoolConfig config, AgentHandle a, AgentHandle b, int port) throws Exception;
    }

    private void withTwoAgents(TwoAgents body) throws Exception {
        int port = AgentKit.freePort();
        Path providers = AgentKit.providersDir(dir, AgentKit.loopback("fake-fixed",
            new JsonObject().put("FAKECLI_PORT", Integer.toString(port)), "fake-fixed-port"));
        Vertx vertx = Vertx.vertx();
        AgentClient client = new AgentClient(vertx);
        LocalPoolConfig config = AgentKit.config(dir, providers);
        try (LocalVmPool vms = new LocalVmPool(vertx, config, client)) {
            Future<AgentHandle> startingA = vms.acquire(UUID.randomUUID());
            Future<AgentHandle> startingB = vms.acquire(UUID.randomUUID());
            body.run(client, config, await(startingA), await(startingB), port);
        } finally {
            client.close();
            await(vertx.close());
        }
    }

    @Test
    void queuesALoginOnTheSameFixedPortBehindOneInAnotherAgent() throws Exception {
        withTwoAgents((client, config, a, b, port) -> {
            assertThat(a.baseUrl()).isNotEqualTo(b.baseUrl());

            await(client.startRun(a, "first", "fake-fixed"));
            String firstUrl = awaitState(client, a, "first", "awaiting_user").getString("authUrl");
            assertThat(firstUrl).contains("127.0.0.1%3A" + port);
            await(client.startRun(b, "second", "fake-fixed"));
            awaitState(client, b, "second", "queued");
            Thread.sleep(500); // the second agent keeps trying the lock; give it time to do harm if it could
            assertThat(await(client.run(a, "first")).getString("state")).as("the first login was not disturbed")
                .isEqualTo("awaiting_user");
            assertThat(await(client.run(b, "second")).getString("state")).isEqualTo("queued");
            assertThat(config.lockDir().resolve("fake-fixed-port.lock")).exists();

            await(client.cancel(a, "first"));

            String secondUrl = awaitState(client, b, "second", "awaiting_user").getString("authUrl");
            assertThat(secondUrl).contains("127.0.0.1%3A" + port).isNotEqualTo(firstUrl);
            await(client.cancel(b, "second"));
        });
    }

    @Test
    void handsTheLockOutInTheOrderTheLoginsAskedForIt() throws Exception {
        withTwoAgents((client, config, a, b, port) -> {
            await(client.startRun(a, "one", "fake-fixed"));
            awaitState(client, a, "one", "awaiting_user");
            await(client.startRun(b, "two", "fake-fixed"));
            awaitState(client, b, "two", "queued");
            // Asked later, in the agent that holds the lock now: it must still wait for "two".
            await(client.startRun(a, "three", "fake-fixed"));
            awaitState(client, a, "three", "queued");

            await(client.cancel(a, "one"));
            awaitState(client, b, "two", "awaiting_user");
            assertThat(await(client.run(a, "three")).getString("state")).as("the later login still waits")
                .isEqualTo("queued");
            await(client.cancel(b, "two"));
            awaitState(client, a, "three", "awaiting_user");
            await(client.cancel(a, "three"));
        });
    }
}

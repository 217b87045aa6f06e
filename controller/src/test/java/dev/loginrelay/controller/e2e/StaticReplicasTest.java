package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.testing.AgentKit;
import dev.loginrelay.controller.testing.ControllerFixture;
import dev.loginrelay.controller.vm.local.LocalPoolConfig;
import dev.loginrelay.controller.vm.local.LocalVmPool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.UUID;

import static dev.loginrelay.controller.testing.AgentKit.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two controller replicas on one database over one static agent that serves one session at a time
 * ({@code LOGINRELAY_STATIC_SESSIONS_PER_AGENT=1}): a session created through the second replica waits
 * {@code pending} while the first replica's session holds the agent, and gets it once that one ends.
 */
@Timeout(180)
class StaticReplicasTest {

    @Test
    void aSecondReplicaWaitsForTheAgentTheFirstHolds(@TempDir Path dir, @TempDir Path dirA, @TempDir Path dirB)
        throws Exception {
        Vertx vertx = Vertx.vertx();
        AgentClient client = new AgentClient(vertx);
        LocalPoolConfig agents = AgentKit.config(dir.resolve("agents"),
            AgentKit.providersDir(dir, FakeCliSpecs.loopback("fake-loopback", new JsonObject())));
        LocalVmPool local = new LocalVmPool(vertx, agents, client);
        try {
            AgentHandle agent = await(local.acquire(UUID.randomUUID())); // a VM made elsewhere, as far as they know
            String entry = "vm1=" + agent.baseUrl() + "=" + agents.agentDir(agent.agentId()).resolve("agent.token");
            try (ControllerFixture a = replica(dirA, "replica-a", entry).start();
                 ControllerFixture b = replica(dirB, "replica-b", entry)) {
                b.startOn(a.database());
                JsonObject first = a.create("fake-loopback", "user-first");
                String firstId = first.getString("id");
                a.awaitStatus(firstId, first.getString("sessionToken"), "awaiting_user", 60);

                JsonObject second = b.create("fake-loopback", "user-second");
                String secondId = second.getString("id");
                Thread.sleep(3_000); // several polls of the slot table
                assertThat(b.get(secondId, ControllerFixture.OPERATOR).getString("status"))
                    .as("the only slot is the first session's, held through the other replica").isEqualTo("pending");

                assertThat(a.post(firstId, "cancel", null, first.getString("sessionToken")).status()).isEqualTo(200);
                JsonObject placed = b.awaitStatus(secondId, ControllerFixture.OPERATOR, "awaiting_user", 60);
                assertThat(placed.getString("agentId")).isEqualTo("vm1");
            }
        } finally {
            local.close();
            client.close();
            await(vertx.close());
        }
    }

    private static ControllerFixture replica(Path dir, String name, String agents) throws Exception {
        ControllerFixture c = new ControllerFixture(dir);
        c.env.put("LOGINRELAY_REPLICA_ID", name);
        c.env.put("LOGINRELAY_VM_PROVIDER", "static");
        c.env.put("LOGINRELAY_STATIC_AGENTS", agents);
        c.env.put("LOGINRELAY_STATIC_SESSIONS_PER_AGENT", "1");
        return c;
    }
}

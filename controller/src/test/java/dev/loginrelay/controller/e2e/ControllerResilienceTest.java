package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Sessions end in a terminal state with the reason written down, across agent deaths and controller restarts. */
@Timeout(180)
class ControllerResilienceTest {

    @Test
    void failsTheSessionWithinSecondsWhenItsAgentIsKilled(@TempDir Path dir) throws Exception {
        try (ControllerFixture c = new ControllerFixture(dir).spec(FakeCliSpecs.loopback("fake-loopback",
                new JsonObject())).start()) {
            JsonObject created = c.create("fake-loopback", "user-kill");
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            c.awaitStatus(id, token, "awaiting_user", 60);
            String agentId = c.get(id, ControllerFixture.OPERATOR).getString("agentId");
            long pid = new JsonObject(Files.readString(dir.resolve("data/agents").resolve(agentId)
                .resolve("agent.json"))).getLong("pid");
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            long t0 = System.nanoTime();
            JsonObject failed = c.awaitStatus(id, token, "failed", 30);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("AGENT_LOST");
            assertThat(failed.getJsonObject("error").getString("message")).contains(agentId).contains("stopped answering");
            assertThat(ms).as("failed within seconds").isLessThan(15_000);
        }
    }

    @Test
    void aSessionInFlightCompletesAfterTheControllerRestartsAndItsTimelineIsWhole(@TempDir Path dir)
        throws Exception {
        ControllerFixture first = new ControllerFixture(dir).spec(FakeCliSpecs.loopback("fake-loopback",
            new JsonObject())).start();
        JsonObject created = first.create("fake-loopback", "user-restart");
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        String url = first.awaitStatus(id, token, "awaiting_user", 60).getString("authUrl");
        first.stopKeepingAgents();

        try (ControllerFixture second = new ControllerFixture(dir)) {
            second.startOn(first.database());
            JsonObject again = second.get(id, token);
            assertThat(again.getString("status")).isEqualTo("awaiting_user");
            assertThat(second.post(id, "callback", new JsonObject().put("url",
                FakeBrowser.callbackFor(url, "code=ok&state={state}")), token).status()).isEqualTo(202);
            second.awaitStatus(id, token, "ready", 60);
            JsonArray events = second.timeline(id).getJsonArray("events");
            Set<Long> agentSeqs = new HashSet<>();
            for (int i = 0; i < events.size(); i++) {
                JsonObject e = events.getJsonObject(i);
                assertThat(e.getLong("seq")).isEqualTo(i + 1L);
                if (e.getLong("agentSeq") != null) {
                    assertThat(agentSeqs.add(e.getLong("agentSeq"))).as("agent event stored once").isTrue();
                }
            }
            long maxAgentSeq = agentSeqs.stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(agentSeqs).as("no agent event lost").hasSize((int) maxAgentSeq);
            assertThat(events.encode()).contains("agent.ready");
        }
    }
}

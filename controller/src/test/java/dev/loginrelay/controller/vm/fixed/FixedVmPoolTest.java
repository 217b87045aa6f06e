package dev.loginrelay.controller.vm.fixed;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.testing.AgentKit;
import dev.loginrelay.controller.vm.local.LocalPoolConfig;
import dev.loginrelay.controller.vm.local.LocalVmPool;
import static dev.loginrelay.controller.testing.AgentKit.await;
import static dev.loginrelay.controller.testing.AgentKit.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The static provider over two real agents (started by the local provider) and one that is down. */
@Timeout(60)
class FixedVmPoolTest {
    @TempDir
    static Path dir;
    static Vertx vertx;
    static AgentClient client;
    static LocalVmPool local;
    static FixedAgent one;
    static FixedAgent two;
    static FixedAgent down;

    @BeforeAll
    static void startAgents() throws Exception {
        vertx = Vertx.vertx();
        client = new AgentClient(vertx);
        LocalPoolConfig config = AgentKit.config(dir, null);
        local = new LocalVmPool(vertx, config, client);
        var first = local.acquire(UUID.randomUUID());
        var second = local.acquire(UUID.randomUUID());
        one = asStatic("one", await(first), config);
        two = asStatic("two", await(second), config);
        Path token = Files.writeString(dir.resolve("down.token"), "d".repeat(32));
        down = new FixedAgent("down", "http://127.0.0.1:" + AgentKit.freePort(), token);
    }

    private static FixedAgent asStatic(String id, AgentHandle a, LocalPoolConfig config) {
        return new FixedAgent(id, a.baseUrl(), config.agentDir(a.agentId()).resolve("agent.token"));
    }

    @AfterAll
    static void stopAgents() {
        local.close();
        client.close();
        await(vertx.close());
    }

    @Test
    void aFullAgentMakesSessionsWaitInTheOrderTheyAskedUntilASlotFrees() throws Exception {
        FixedAgent small = new FixedAgent("one", one.baseUrl(), one.tokenFile(), 1);
        FixedVmPool vms = new FixedVmPool(List.of(small, down), client);
        AgentHandle first = await(vms.acquire(UUID.randomUUID()));
        var second = vms.acquire(UUID.randomUUID());
        var third = vms.acquire(UUID.randomUUID());
        AgentKit.awaitTrue(() -> vms.capacity().get("waiting") == 2, "two sessions wait");
        assertThat(second.isComplete()).as("no slot is free: the second waits").isFalse();
        assertThat(vms.capacity()).containsEntry("sessions", 1).containsEntry("busy", 1);

        await(vms.release(first));
        assertThat(await(second).agentId()).as("the first to wait gets the slot").isEqualTo("one");
        assertThat(third.isComplete()).as("the third still waits").isFalse();
        await(vms.release(await(second)));
        assertThat(await(third).agentId()).isEqualTo("one");
        assertThat(vms.capacity()).containsEntry("waiting", 0).containsEntry("sessions", 1);
    }

    @Test
    void readsCapacityFromTheJsonFormAndRefusesABadOne() {
        assertThat(FixedAgent.parse("[{\"agentId\":\"a\",\"baseUrl\":\"http://h:1\",\"tokenFile\":\"/t\","
            + "\"capacity\":8}]").get(0).capacity()).isEqualTo(8);
        assertThatThrownBy(() -> FixedAgent.parse("[{\"agentId\":\"a\",\"baseUrl\":\"http://h:1\","
            + "\"tokenFile\":\"/t\",\"capacity\":\"many\"}]")).hasMessageContaining("entry 1")
            .hasMessageContaining("capacity must be a whole number");
        assertThatThrownBy(() -> FixedAgent.parse("[{\"agentId\":\"a\",\"baseUrl\":\"http://h:1\","
            + "\"tokenFile\":\"/t\",\"capacity\":-1}]")).hasMessageContaining("capacity cannot be less than 0");
    }

    @Test
    void parsesBothFormsAndNamesTheBadEntry() {
        List<FixedAgent> agents = FixedVmPool.parse(" vm1=http://10.0.0.5:7070/=/run/t1 , vm2=https://vm2:7070=t2");
        assertThat(agents).extracting(FixedAgent::agentId).containsExactly("vm1", "vm2");
        assertThat(agents.get(0).baseUrl()).isEqualTo("http://10.0.0.5:7070");
        assertThat(agents.get(0).host()).isEqualTo("10.0.0.5");
        assertThat(agents.get(0).tokenFile()).isEqualTo(Path.of("/run/t1"));
        assertThat(FixedAgent.parse("[{\"agentId\":\"a\",\"baseUrl\":\"http://h:1\",\"tokenFile\":\"/t\"}]"))
            .containsExactly(new FixedAgent("a", "http://h:1", Path.of("/t")));

        assertThatThrownBy(() -> FixedAgent.parse(" ")).hasMessageContaining("no static agents");
        assertThatThrownBy(() -> FixedAgent.parse("a=http://x:1=/t,b=http://y"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 2 ('b=http://y')")
            .hasMessageContaining("id=url=tokenfile");
        assertThatThrownBy(() -> FixedAgent.parse("a=ftp://x=/t")).hasMessageContaining("entry 1")
            .hasMessageContaining("http(s)://host");
        assertThatThrownBy(() -> FixedAgent.parse("a b=http://x=/t")).hasMessageContaining("entry 1")
            .hasMessageContaining("agentId");
        assertThatThrownBy(() -> FixedAgent.parse("a=http://u:secret@x=/t")).hasMessageContaining("user info")
            .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> FixedAgent.parse("a=http://x:1=/t,a=http://y:2=/u"))
            .hasMessageContaining("'a' appears twice");
        assertThatThrownBy(() -> FixedAgent.parse("[1]")).hasMessageContaining("entry 1 is not a JSON object");
        assertThatThrownBy(() -> FixedAgent.parse("[{\"agentId\":\"a\",\"baseUrl\":\"http://h\"}]"))
            .hasMessageContaining("entry 1").hasMessageContaining("tokenFile");
    }

    @Test
    void refusesAnAgentWhoseTokenFileIsMissing() {
        FixedAgent noToken = new FixedAgent("lost", "http://127.0.0.1:1", dir.resolve("missing.token"));
        assertThatThrownBy(() -> new FixedVmPool(List.of(noToken), client))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lost")
            .hasMessageContaining("missing.token");
    }

    @Test
    void balancesSessionsAcrossAgents() {
        FixedVmPool vms = new FixedVmPool(List.of(one, two), client);
        List<String> placed = new ArrayList<>();
        List<AgentHandle> handles = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            AgentHandle a = await(vms.acquire(UUID.randomUUID()));
            handles.add(a);
            placed.add(a.agentId());
        }
        assertThat(placed).containsExactly("one", "two", "one", "two");
        assertThat(vms.load()).isEqualTo(Map.of("one", 2, "two", 2));
        assertThat(handles.get(0).vmIp()).isEqualTo("127.0.0.1");
        assertThat(handles.get(0).vmId()).isEqualTo("one");

        await(vms.release(handles.get(1)));
        assertThat(await(vms.acquire(UUID.randomUUID())).agentId()).as("the least loaded").isEqualTo("two");
        assertThat(await(client.health(handles.get(0))).getString("status")).isEqualTo("ok");
        assertThat(await(client.providers(handles.get(1))).getJsonArray("providers")).isNotEmpty();
    }

    @Test
    void skipsAnAgentThatIsDown() {
        FixedVmPool vms = new FixedVmPool(List.of(down, one), client);
        for (int i = 0; i < 3; i++) {
            assertThat(await(vms.acquire(UUID.randomUUID())).agentId()).isEqualTo("one");
        }
        assertThat(vms.load()).isEqualTo(Map.of("down", 0, "one", 3));
        assertThat(await(vms.find("down"))).isEmpty();
        assertThat(await(vms.find("one"))).map(AgentHandle::baseUrl).contains(one.baseUrl());
        assertThat(await(vms.find("nobody"))).isEmpty();

        JsonObject catalog = await(vms.providers());
        assertThat(catalog.getJsonArray("providers")).isNotEmpty();
        assertThat(catalog.getJsonArray("providers").getJsonObject(0).containsKey("available")).isTrue();

        ApiException none = failure(new FixedVmPool(List.of(down), client).acquire(UUID.randomUUID()),
            ErrorCode.AGENT_UNAVAILABLE);
        assertThat(none.getMessage()).contains("down:", "unreachable");
    }
}

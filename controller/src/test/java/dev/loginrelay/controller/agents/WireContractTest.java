package dev.loginrelay.controller.agents;

import static dev.loginrelay.controller.testing.AgentKit.await;
import static dev.loginrelay.controller.testing.AgentKit.awaitState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.run.EventKind;
import dev.loginrelay.agent.run.RunFailure;
import dev.loginrelay.agent.run.RunState;
import dev.loginrelay.controller.model.FailureCode;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.testing.AgentKit;
import dev.loginrelay.controller.vm.local.LocalVmPool;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One contract between the agent, the controller and the page: the agent's run states and event kinds are the names
 * the controller's typed copies know, a real agent's JSON parses into the controller's records, and the page has
 * plain words for every failure code a session can end with and a label for every status.
 */
@Timeout(60)
class WireContractTest {
    private static final Path WEBROOT = Path.of("src/main/resources/webroot");

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

    @Test
    void runStatesAreTheAgentsNames() {
        assertThat(names(AgentRunState.values(), AgentRunState::wireName))
            .isEqualTo(names(RunState.values(), RunState::wireName));
        for (RunState s : RunState.values()) {
            assertThat(AgentRunState.fromWire(s.wireName()).isTerminal()).as("terminal %s", s).isEqualTo(s.isTerminal());
        }
    }

    @Test
    void eventKindsAreTheAgentsNames() {
        assertThat(names(AgentEventKind.values(), AgentEventKind::wireName))
            .isEqualTo(names(EventKind.values(), EventKind::wireName));
    }

    @Test
    void aRealAgentsEventsAndRunViewParseIntoTheControllersRecords() {
        String id = UUID.randomUUID().toString();
        await(client.startRun(agent, id, "fake-loopback"));
        awaitState(client, agent, id, "awaiting_user");
        await(client.cancel(agent, id));
        JsonObject json = awaitState(client, agent, id, "cancelled");
        assertThat(AgentRunState.fromWire(json.getString("state"))).isEqualTo(AgentRunState.CANCELLED);

        AgentEvent.Page page = AgentEvent.Page.fromJson(await(client.events(agent, id, 0, 0)));
        assertThat(page.terminal()).isTrue();
        assertThat(page.state()).isEqualTo(AgentRunState.CANCELLED);
        assertThat(page.events()).isNotEmpty().allSatisfy(e ->
            assertThat(e.knownKind()).as("kind %s is known to the controller", e.kind()).isPresent());
        assertThat(page.events()).extracting(AgentEvent::kind)
            .contains(AgentEventKind.STARTED.wireName(), AgentEventKind.AUTH_URL_READY.wireName(),
                AgentEventKind.CANCELLED.wireName());
        AgentEvent url = page.events().stream().filter(e -> e.knownKind().orElseThrow() == AgentEventKind.AUTH_URL_READY)
            .findFirst().orElseThrow();
        assertThat(AgentEvents.userStepOf(url)).as("the controller reads the user step the agent sent").isNotNull()
            .satisfies(step -> assertThat(step.authUrl()).startsWith("https://auth.example.test/"));
        assertThat(page.lastSeq()).isEqualTo(page.events().get(page.events().size() - 1).seq());
    }

    @Test
    void thePageLabelsEveryStatusAndExplainsEveryFailureCode() throws IOException {
        assertThat(keysOf(read("common.js"), "STATUS_LABELS"))
            .isEqualTo(names(SessionState.values(), SessionState::wireName));
        Set<String> codes = new TreeSet<>();
        Arrays.stream(FailureCode.values()).map(Enum::name).forEach(codes::add);
        Arrays.stream(RunFailure.values()).map(Enum::name).forEach(codes::add);
        for (ProviderSpec spec : ProviderCatalog.load(null).all()) {
            spec.failures().forEach(f -> codes.add(f.code()));
        }
        assertThat(keysOf(read("connect-rules.js"), "PLAIN")).as("plain words in connect-rules.js")
            .containsAll(codes);
    }

    private static String read(String file) throws IOException {
        return Files.readString(WEBROOT.resolve(file));
    }

    /** The keys of {@code const NAME = { KEY: ..., }} in a page script. */
    static Set<String> keysOf(String js, String name) {
        Matcher block = Pattern.compile("(?:const|let) " + name + " = \\{(.*?)\\n};", Pattern.DOTALL).matcher(js);
        assertThat(block.find()).as("%s in the page script", name).isTrue();
        Matcher key = Pattern.compile("(?m)^\\s{2}([A-Za-z_]+):").matcher(block.group(1));
        Set<String> keys = new TreeSet<>();
        while (key.find()) {
            keys.add(key.group(1));
        }
        return keys;
    }

    private static <T> Set<String> names(T[] values, java.util.function.Function<T, String> name) {
        return Arrays.stream(values).map(name).collect(Collectors.toCollection(TreeSet::new));
    }
}

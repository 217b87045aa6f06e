package dev.loginrelay.controller.testing;

import dev.loginrelay.controller.vm.local.LocalVmPool;
import io.vertx.core.Vertx;
import dev.loginrelay.agent.testing.Poll;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.vm.local.LocalPoolConfig;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real agent for the dispatch tests: its jar ({@code ../agent/target/loginrelay-agent.jar}, or the system property
 * {@code loginrelay.agent.jar}) and the agent's fake CLIs, as operator specs in a providers dir (the approach of the
 * agent's {@code FakeSpecs}). Blocking helpers run on the test thread only.
 */
public final class AgentKit {
    public static final Path AGENT_JAR = Path.of(System.getProperty("loginrelay.agent.jar",
        "../agent/target/loginrelay-agent.jar")).toAbsolutePath().normalize();
    private static final long AWAIT_SECONDS = 40;

    private AgentKit() {
    }

    public static LocalPoolConfig config(Path dataDir, Path providersDir) {
        assertThat(AGENT_JAR).as("the agent jar; build it first: mvn -B -o -DskipTests package").isRegularFile();
        return new LocalPoolConfig(AGENT_JAR, dataDir, List.of(), providersDir, null, Duration.ofSeconds(30));
    }

    /** A providers dir holding the given operator specs. */
    public static Path providersDir(Path root, JsonObject... specs) throws IOException {
        Path dir = Files.createDirectories(root.resolve("providers"));
        for (JsonObject s : specs) {
            Files.writeString(dir.resolve(s.getString("name") + ".json"), s.encodePrettily());
        }
        return dir;
    }

    /** A codex-like loopback login run by {@code fake-loopback.js}; {@code env} holds FAKECLI_* settings. */
    public static JsonObject loopback(String name, JsonObject env, String exclusive) {
        return FakeCliSpecs.loopback(name, env).put("exclusive", exclusive);
    }

    /** Long-polls the run's events until it is in {@code state}; fails on another terminal state or the deadline. */
    public static JsonObject awaitState(AgentClient client, AgentHandle a, String id, String state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
        long after = 0;
        JsonObject page = null;
        while (System.nanoTime() < deadline) {
            page = await(client.events(a, id, after, 1000));
            after = page.getLong("lastSeq");
            if (state.equals(page.getString("state"))) {
                return await(client.run(a, id));
            }
            if (page.getBoolean("terminal")) {
                break;
            }
        }
        return fail("run %s did not reach %s; last page: %s", id, state, page);
    }

    public static <T> T await(Future<T> future) {
        return dev.loginrelay.controller.testing.Futures.await(future, AWAIT_SECONDS);
    }

    /** The {@link ApiException} the future failed with; asserts its code. */
    public static ApiException failure(Future<?> future, ErrorCode expected) {
        try {
            Object value = await(future);
            return fail("expected %s, but succeeded with %s", expected, value);
        } catch (ApiException e) {
            assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(expected);
            return e;
        }
    }

    public static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    public static long pidOf(LocalPoolConfig c, AgentHandle a) throws IOException {
        return new JsonObject(Files.readString(c.agentDir(a.agentId()).resolve("agent.json"))).getLong("pid");
    }

    /** Waits on the test thread until the process is gone. */
    public static boolean awaitGone(long pid, Duration within) throws Exception {
        return Poll.eventually(within, () -> !alive(pid));
    }

    /** Waits on the test thread until {@code cond} holds; fails naming {@code what} after the deadline. */
    public static void awaitTrue(java.util.function.BooleanSupplier cond, String what) throws Exception {
        Poll.until(Duration.ofSeconds(AWAIT_SECONDS), what, cond::getAsBoolean);
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** One real agent process running the fake loopback CLI as {@code fake-loopback}, with its own Vert.x and client. */
    public static final class LoopbackAgent implements AutoCloseable {
        public final Vertx vertx = Vertx.vertx();
        public final AgentClient client = new AgentClient(vertx);
        public final LocalVmPool vms;
        public final AgentHandle agent;

        public LoopbackAgent(Path dir) throws IOException {
            Path providers = providersDir(dir, loopback("fake-loopback", new JsonObject(), "fake"));
            vms = new LocalVmPool(vertx, config(dir, providers), client);
            agent = await(vms.acquire(java.util.UUID.randomUUID()));
        }

        @Override
        public void close() {
            vms.close();
            client.close();
            await(vertx.close());
        }
    }
}

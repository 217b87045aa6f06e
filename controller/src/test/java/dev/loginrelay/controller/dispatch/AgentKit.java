package dev.loginrelay.controller.dispatch;

import dev.loginrelay.agent.testing.FakeCliSpecs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.loginrelay.controller.api.ApiException;
import dev.loginrelay.controller.api.ErrorCode;
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
final class AgentKit {
    static final Path AGENT_JAR = Path.of(System.getProperty("loginrelay.agent.jar",
        "../agent/target/loginrelay-agent.jar")).toAbsolutePath().normalize();
    private static final long AWAIT_SECONDS = 40;

    private AgentKit() {
    }

    static LocalVmConfig config(Path dataDir, Path providersDir) {
        assertThat(AGENT_JAR).as("the agent jar; build it first: mvn -B -o -DskipTests package").isRegularFile();
        return new LocalVmConfig(AGENT_JAR, dataDir, List.of(), providersDir, null, Duration.ofSeconds(30));
    }

    /** A providers dir holding the given operator specs. */
    static Path providersDir(Path root, JsonObject... specs) throws IOException {
        Path dir = Files.createDirectories(root.resolve("providers"));
        for (JsonObject s : specs) {
            Files.writeString(dir.resolve(s.getString("name") + ".json"), s.encodePrettily());
        }
        return dir;
    }

    /** A codex-like loopback login run by {@code fake-loopback.js}; {@code env} holds FAKECLI_* settings. */
    static JsonObject loopback(String name, JsonObject env, String exclusive) {
        return FakeCliSpecs.loopback(name, env).put("exclusive", exclusive);
    }

    /** Long-polls the run's events until it is in {@code state}; fails on another terminal state or the deadline. */
    static JsonObject awaitState(AgentClient client, AgentHandle a, String id, String state) {
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

    static <T> T await(Future<T> future) {
        return dev.loginrelay.controller.testing.Futures.await(future, AWAIT_SECONDS);
    }

    /** The {@link ApiException} the future failed with; asserts its code. */
    static ApiException failure(Future<?> future, ErrorCode expected) {
        try {
            Object value = await(future);
            return fail("expected %s, but succeeded with %s", expected, value);
        } catch (ApiException e) {
            assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(expected);
            return e;
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static long pidOf(LocalVmConfig c, AgentHandle a) throws IOException {
        return new JsonObject(Files.readString(c.agentDir(a.agentId()).resolve("agent.json"))).getLong("pid");
    }

    /** Waits on the test thread until the process is gone. */
    static boolean awaitGone(long pid, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (alive(pid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return !alive(pid);
    }

    /** Waits on the test thread until {@code cond} holds; fails naming {@code what} after the deadline. */
    static void awaitTrue(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + AWAIT_SECONDS + " s waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

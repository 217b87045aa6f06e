package dev.loginrelay.controller.vm.local;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.testing.AgentKit;
import static dev.loginrelay.controller.testing.AgentKit.await;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The local provider against real agent processes started from the agent jar. */
@Timeout(60)
class LocalVmPoolTest {
    static Vertx vertx;
    static AgentClient client;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = new AgentClient(vertx);
    }

    @AfterAll
    static void stop() {
        client.close();
        await(vertx.close());
    }

    private LocalVmPool provider(LocalPoolConfig config) {
        return new LocalVmPool(vertx, config, client);
    }

    @Test
    void startsAnAgentThatAnswersWithTheTokenTheControllerWrote() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null);
        try (LocalVmPool vms = provider(config)) {
            AgentHandle a = await(vms.acquire(UUID.randomUUID()));

            assertThat(a.agentId()).startsWith("local-").isEqualTo(a.vmId());
            assertThat(a.vmIp()).isEqualTo("127.0.0.1");
            assertThat(a.baseUrl()).startsWith("http://127.0.0.1:");
            assertThat(a.toString()).contains("<masked>").doesNotContain(a.token().reveal());
            Path tokenFile = config.agentDir(a.agentId()).resolve("agent.token");
            assertThat(Files.readString(tokenFile).strip()).isEqualTo(a.token().reveal());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
            assertThat(await(client.health(a)).getString("status")).isEqualTo("ok");
            assertThat(await(client.providers(a)).getJsonArray("providers")).isNotEmpty();

            AgentHandle wrongToken = new AgentHandle(a.agentId(), a.baseUrl(), Secret.of("not-the-token-at-all"),
                a.vmId(), a.vmIp());
            ApiException refused = failure(client.providers(wrongToken), ErrorCode.AGENT_ERROR);
            assertThat(refused.getMessage()).contains("401", "UNAUTHORIZED").doesNotContain("not-the-token");
        }
    }

    @Test
    void givesEachAcquireItsOwnProcessPortAndToken() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null);
        try (LocalVmPool vms = provider(config)) {
            var first = vms.acquire(UUID.randomUUID());
            var second = vms.acquire(UUID.randomUUID());
            AgentHandle a = await(first);
            AgentHandle b = await(second);

            assertThat(a.agentId()).isNotEqualTo(b.agentId());
            assertThat(a.baseUrl()).isNotEqualTo(b.baseUrl());
            assertThat(a.token()).isNotEqualTo(b.token());
            assertThat(AgentKit.pidOf(config, a)).isNotEqualTo(AgentKit.pidOf(config, b));
            assertThat(await(client.health(a)).getString("status")).isEqualTo("ok");
            assertThat(await(client.health(b)).getString("status")).isEqualTo("ok");
        }
    }

    @Test
    void releaseStopsTheProcessAndKeepsItsDir() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null);
        try (LocalVmPool vms = provider(config)) {
            AgentHandle a = await(vms.acquire(UUID.randomUUID()));
            long pid = AgentKit.pidOf(config, a);

            await(vms.release(a));

            assertThat(AgentKit.awaitGone(pid, Duration.ofSeconds(5))).as("pid %s gone", pid).isTrue();
            assertThat(config.agentDir(a.agentId()).resolve("agent.out")).exists();
            assertThat(await(vms.find(a.agentId()))).as("a released agent is not found").isEmpty();
        }
    }

    @Test
    void sharesAWarmAgentBetweenSessionsAndKeepsItUpAfterTheyEnd() throws Exception {
        Path data = Files.createDirectories(dir.resolve("shared"));
        LocalPoolConfig c = new LocalPoolConfig(AgentKit.AGENT_JAR, data, List.of(), null, null,
            Duration.ofSeconds(30), 2, 1, null);
        try (LocalVmPool vms = new LocalVmPool(vertx, c, client)) {
            vms.warm();
            Poll.until(Duration.ofSeconds(40), "a warm agent came up",
                () -> vms.capacity().getOrDefault("idle", 0) > 0);
            AgentHandle a = await(vms.acquire(UUID.randomUUID()));
            AgentHandle b = await(vms.acquire(UUID.randomUUID()));
            assertThat(b.agentId()).as("two sessions share the warm agent").isEqualTo(a.agentId());
            long pid = AgentKit.pidOf(c, a);
            await(vms.release(a));
            await(vms.release(b));
            assertThat(AgentKit.alive(pid)).as("the warm agent stays up for the next click").isTrue();
            assertThat(await(client.health(a)).getString("status")).isEqualTo("ok");
            vms.close();
            assertThat(AgentKit.awaitGone(pid, Duration.ofSeconds(10))).as("close stops it").isTrue();
        }
    }

    @Test
    void removesAReleasedAgentsDirAfterTheRetentionTimeButNotALiveOnes() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null).withRetain(Duration.ofSeconds(2));
        Path stale = Files.createDirectories(config.agentDir("local-0123456789"));
        Files.writeString(stale.resolve("agent.out"), "an agent of an earlier controller\n");
        Files.setLastModifiedTime(stale.resolve("agent.out"), java.nio.file.attribute.FileTime.fromMillis(0));
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(0));
        try (LocalVmPool vms = provider(config)) {
            AgentHandle live = await(vms.acquire(UUID.randomUUID()));
            AgentHandle done = await(vms.acquire(UUID.randomUUID()));
            await(vms.release(done));
            Path doneDir = config.agentDir(done.agentId());
            assertThat(doneDir.resolve("agent.out")).as("kept right after release").exists();

            AgentKit.awaitTrue(() -> !Files.exists(doneDir), "the released agent's dir to be removed");
            assertThat(stale).as("an earlier controller's stopped agent").doesNotExist();
            assertThat(config.agentDir(live.agentId()).resolve("agent.token")).as("a live agent keeps its dir")
                .exists();
            assertThat(await(client.health(live)).getString("status")).isEqualTo("ok");
        }
    }

    @Test
    void refusesARetentionBelowOneSecond() {
        LocalPoolConfig base = AgentKit.config(dir, null);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LocalPoolConfig.fromEnv(
                java.util.Map.of("LOGINRELAY_AGENT_RETAIN_SECONDS", "0"), dir))
            .hasMessageContaining("LOGINRELAY_AGENT_RETAIN_SECONDS cannot be less than 1");
        assertThat(base.retain()).isEqualTo(LocalPoolConfig.DEFAULT_RETAIN);
    }

    @Test
    void findsALiveAgentAfterARestartOfTheController() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null);
        LocalVmPool before = provider(config);
        AgentHandle a = await(before.acquire(UUID.randomUUID()));
        long pid = AgentKit.pidOf(config, a);
        // the controller "crashes": the provider is dropped without close(), the agent process lives on
        try (LocalVmPool after = provider(config)) {
            Optional<AgentHandle> found = await(after.find(a.agentId()));

            assertThat(found).contains(a);
            assertThat(await(client.providers(found.get())).getJsonArray("providers")).isNotEmpty();
            assertThat(await(after.find("local-0000000000"))).isEmpty();
            assertThat(await(after.find("../../etc"))).isEmpty();

            await(after.release(found.get()));
            assertThat(AgentKit.awaitGone(pid, Duration.ofSeconds(5))).isTrue();
            assertThat(await(after.find(a.agentId()))).isEmpty();
        } finally {
            before.close();
        }
    }

    @Test
    void atShutdownStopsTheIdleAgentsAndKeepsThoseWithASession() throws Exception {
        Path data = Files.createDirectories(dir.resolve("drain"));
        LocalPoolConfig c = new LocalPoolConfig(AgentKit.AGENT_JAR, data, List.of(), null, null,
            Duration.ofSeconds(30), 1, 1, null);
        try (LocalVmPool vms = new LocalVmPool(vertx, c, client)) {
            vms.warm();
            Poll.until(Duration.ofSeconds(40), "a warm agent came up",
                () -> vms.capacity().getOrDefault("idle", 0) > 0);
            AgentHandle busy = await(vms.acquire(UUID.randomUUID())); // takes the warm one; another is started
            Poll.until(Duration.ofSeconds(40), "the next warm agent came up",
                () -> vms.capacity().getOrDefault("idle", 0) > 0);
            List<Long> idlePids = new java.util.ArrayList<>();
            try (java.util.stream.Stream<Path> agents = Files.list(c.agentsDir())) {
                for (Path d : agents.toList()) {
                    if (!d.getFileName().toString().equals(busy.agentId()) && Files.exists(d.resolve("agent.json"))) {
                        idlePids.add(new io.vertx.core.json.JsonObject(Files.readString(d.resolve("agent.json")))
                            .getLong("pid"));
                    }
                }
            }
            assertThat(idlePids).hasSize(1);

            vms.stopIdle();

            assertThat(AgentKit.awaitGone(idlePids.get(0), Duration.ofSeconds(10))).as("the idle agent").isTrue();
            assertThat(await(client.health(busy)).getString("status")).as("the session's agent").isEqualTo("ok");
            vms.warm();
            assertThat(vms.capacity()).containsEntry("idle", 0).containsEntry("starting", 0);
        }
    }

    @Test
    void closeStopsEveryAgentItStarted() throws Exception {
        LocalPoolConfig config = AgentKit.config(dir, null);
        LocalVmPool vms = provider(config);
        AgentHandle a = await(vms.acquire(UUID.randomUUID()));
        AgentHandle b = await(vms.acquire(UUID.randomUUID()));
        List<Long> pids = List.of(AgentKit.pidOf(config, a), AgentKit.pidOf(config, b));

        vms.close();

        assertThat(pids).noneMatch(AgentKit::alive);
        failure(vms.acquire(UUID.randomUUID()), ErrorCode.AGENT_UNAVAILABLE);
    }

    @Test
    void failsNamingTheJarWhenItIsNotAnAgent() throws Exception {
        Path bogus = Files.writeString(dir.resolve("bogus-agent.jar"), "not a jar");
        LocalPoolConfig config = new LocalPoolConfig(bogus, dir, List.of(), null, null, Duration.ofSeconds(20));
        try (LocalVmPool vms = provider(config)) {
            long t0 = System.nanoTime();
            ApiException e = failure(vms.acquire(UUID.randomUUID()), ErrorCode.AGENT_UNAVAILABLE);

            assertThat(e.getMessage()).contains(bogus.toString(), "exited with code");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no wait for the timeout")
                .isLessThan(Duration.ofSeconds(10));
            ApiException missing = failure(provider(new LocalPoolConfig(dir.resolve("nope.jar"), dir, List.of(), null,
                null, null)).acquire(UUID.randomUUID()), ErrorCode.AGENT_UNAVAILABLE);
            assertThat(missing.getMessage()).contains(dir.resolve("nope.jar").toString(), "does not exist");
        }
    }

    @Test
    void failsAfterTheStartTimeoutWhenTheAgentNeverListens() throws Exception {
        Path hangingJava = Files.writeString(dir.resolve("java"), "#!/bin/sh\nexec sleep 60\n");
        hangingJava.toFile().setExecutable(true);
        LocalPoolConfig config = new LocalPoolConfig(AgentKit.AGENT_JAR, dir, List.of(), null, hangingJava,
            Duration.ofMillis(1500));
        try (LocalVmPool vms = provider(config)) {
            long t0 = System.nanoTime();
            ApiException e = failure(vms.acquire(UUID.randomUUID()), ErrorCode.AGENT_UNAVAILABLE);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            assertThat(e.getMessage()).contains(AgentKit.AGENT_JAR.toString(), "did not listen within 1500 ms");
            assertThat(took).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(10));
            try (var agents = Files.list(dir.resolve("agents"))) {
                long pid = new JsonObject(Files.readString(agents.findFirst().orElseThrow().resolve("agent.json")))
                    .getLong("pid");
                assertThat(AgentKit.awaitGone(pid, Duration.ofSeconds(5))).as("the hung agent was killed").isTrue();
            }
        }
    }

    @Test
    void reportsProvidersFromTheAgentsSelfCheck() throws Exception {
        Path providers = AgentKit.providersDir(dir, AgentKit.loopback("fake-loopback", new JsonObject(), "fake"));
        try (LocalVmPool vms = provider(AgentKit.config(dir, providers))) {
            JsonObject catalog = await(vms.providers());

            JsonObject fake = entry(catalog, "fake-loopback");
            assertThat(fake.getBoolean("available")).as(fake.encode()).isTrue();
            assertThat(fake.getString("reason")).isNull();
            assertThat(fake.getString("expects")).isEqualTo("callback_url");
            JsonObject qwen = entry(catalog, "qwen");
            assertThat(qwen.getBoolean("supported")).isFalse();
            assertThat(qwen.getBoolean("available")).isFalse();
            assertThat(qwen.getString("reason")).isNotBlank();
            JsonObject codex = entry(catalog, "codex");
            assertThat(codex.getString("displayName")).isNotBlank();
            assertThat(await(vms.providers())).as("cached").isSameAs(catalog);
        }
    }

    private static JsonObject entry(JsonObject catalog, String name) {
        return catalog.getJsonArray("providers").stream().map(JsonObject.class::cast)
            .filter(p -> name.equals(p.getString("name"))).findFirst()
            .orElseThrow(() -> new AssertionError("no provider " + name + " in " + catalog.encode()));
    }
}

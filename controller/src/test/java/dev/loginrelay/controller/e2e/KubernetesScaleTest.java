package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import dev.loginrelay.controller.testing.FakeSandboxCluster;
import dev.loginrelay.controller.testing.SecretsForTests;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The numbers of docs/scaling.md, by simulation (fabric8's mock API server and {@link FakeSandboxCluster}; no real
 * cluster, scheduler or image pull): the time from a click to the login link with a warm sandbox, and how fast the
 * controller issues claims when a burst of sessions meets a drained warm pool. Prints them and asserts loose bounds.
 */
@Timeout(300)
class KubernetesScaleTest {
    private static final int CLICKS = 5;
    private static final int BURST = 100;

    @TempDir
    Path dir;

    @Test
    void measuresClickToLinkAndClaimRate() throws Exception {
        Path providers = Files.createDirectories(dir.resolve("providers"));
        Files.writeString(providers.resolve("fake-loopback.json"),
            FakeCliSpecs.loopback("fake-loopback", new JsonObject()).encodePrettily());
        Path key = dir.resolve("token-key");
        Files.writeString(key, SecretsForTests.TOKEN_KEY + "\n");
        try (FakeSandboxCluster cluster = new FakeSandboxCluster(dir, providers, 1, 2);
             ControllerFixture c = new ControllerFixture(dir.resolve("controller"))) {
            c.env.put("LOGINRELAY_VM_PROVIDER", "kubernetes");
            c.env.put("LOGINRELAY_K8S_API_URL", cluster.apiUrl());
            c.env.put("LOGINRELAY_K8S_NAMESPACE", FakeSandboxCluster.NAMESPACE);
            c.env.put("LOGINRELAY_K8S_WARM_POOL", FakeSandboxCluster.POOL);
            c.env.put("LOGINRELAY_K8S_AGENT_PORT", Integer.toString(cluster.agentPort));
            c.env.put("LOGINRELAY_K8S_BOOTSTRAP_TOKEN_FILE", cluster.bootstrapToken.toString());
            c.env.put("LOGINRELAY_K8S_TOKEN_KEY_FILE", key.toString());
            c.env.put("LOGINRELAY_K8S_REPLICA", "controller-0");
            c.env.put("LOGINRELAY_K8S_READY_SECONDS", "240");
            c.env.put("LOGINRELAY_MAX_STARTING", Integer.toString(BURST));
            c.env.put("LOGINRELAY_SESSION_TTL_SECONDS", "280");
            c.start();

            long[] clickToLink = new long[CLICKS];
            for (int i = 0; i < CLICKS; i++) {
                Poll.until(Duration.ofSeconds(30), "a warm sandbox", () -> cluster.running() == 1);
                long t0 = System.nanoTime();
                JsonObject s = c.create("fake-loopback", "click-" + i);
                c.awaitStatus(s.getString("id"), s.getString("sessionToken"), "awaiting_user", 60);
                clickToLink[i] = (System.nanoTime() - t0) / 1_000_000;
                c.post(s.getString("id"), "cancel", null, s.getString("sessionToken"));
                Poll.until(Duration.ofSeconds(30), "claim released", () -> cluster.claims().isEmpty());
            }

            Poll.until(Duration.ofSeconds(30), "a warm sandbox", () -> cluster.running() == 1);
            List<JsonObject> burst = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(8);
            long t0 = System.nanoTime();
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                String user = "burst-" + i;
                sent.add(clients.submit(() -> burst.add(c.create("fake-loopback", user))));
            }
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
            long created = System.nanoTime();
            clients.shutdown();
            Poll.until(Duration.ofSeconds(120), BURST + " claims", () -> cluster.claims().size() == BURST);
            double claimsPerSecond = BURST / ((System.nanoTime() - t0) / 1e9);
            double createsPerSecond = BURST / ((created - t0) / 1e9);
            assertThat(cluster.bound).as("one warm sandbox, one more cold: the others wait").hasSizeLessThanOrEqualTo(
                2 + CLICKS);
            for (JsonObject s : burst) {
                c.post(s.getString("id"), "cancel", null, s.getString("sessionToken"));
            }
            Poll.until(Duration.ofSeconds(120), "every claim released", () -> cluster.claims().isEmpty());

            Arrays.sort(clickToLink);
            String report = String.format("KUBERNETES-SIM click-to-link with a warm sandbox (ms, %d clicks): min %d, "
                    + "median %d, max %d%nKUBERNETES-SIM burst of %d sessions from 8 clients: %.0f creates/s through "
                    + "the API, %.0f claims/s in the API server (all %d made in %.2f s)%n"
                    + "KUBERNETES-SIM load average at the end: %s%n", CLICKS, clickToLink[0],
                clickToLink[CLICKS / 2], clickToLink[CLICKS - 1], BURST, createsPerSecond, claimsPerSecond, BURST,
                BURST / claimsPerSecond, Files.readString(Path.of("/proc/loadavg")).strip());
            System.out.print(report);
            Files.writeString(Path.of("target/kubernetes-sim.txt"), report);
            // loose: these run on shared, often overloaded CI machines; the figures are what the report is for
            assertThat(clickToLink[CLICKS / 2]).as("median click to link, ms").isLessThan(20_000);
            assertThat(claimsPerSecond).as("claims per second").isGreaterThan(1);
        }
    }
}

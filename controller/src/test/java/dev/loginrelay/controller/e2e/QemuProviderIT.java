package dev.loginrelay.controller.e2e;

import java.time.Duration;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.testing.CapturedLogs;
import dev.loginrelay.agent.testing.Poll;
import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.store.DbConfig;
import dev.loginrelay.controller.testing.ControllerFixture;
import dev.loginrelay.controller.vm.qemu.QemuVmPool;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code qemu} VM provider through the whole controller, on the golden image {@code snapshot/build.sh} made
 * ({@code -Dloginrelay.qemu.image}, default {@code snapshot/out}): run by {@code mvn -Pvm verify} (see
 * {@code snapshot/README.md}), not by the unit-test run, since it needs root, qemu and a built image.
 *
 * <p>The real pinned codex runs inside the VM: its device login against a fake issuer on this host, and its browser
 * login (the user's callback URL relayed through the controller to codex's listener in the guest) through the test's
 * intercepting proxy. The guest's network is restricted to two forwards ({@code 10.0.2.100:80} = the issuer,
 * {@code 10.0.2.101:3128} = the proxy), so the device login pointed at the host's own NAT address fails: the guest
 * reaches exactly what it is allowed to.
 */
@Timeout(value = 40, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuProviderIT {
    static final Path IMAGE = Path.of(System.getProperty("loginrelay.qemu.image",
        ControllerFixture.REPO.resolve("snapshot/out").toString())).toAbsolutePath().normalize();
    /** Software emulation on a shared 2-core machine: a cold boot took 46-90 s here. */
    static final int START_SECONDS = 1500;

    @TempDir
    static Path dir;
    static FakeCodexIssuer issuer;
    static FakeInternet net;
    static Path vms;
    static Path extra;

    @BeforeAll
    static void start() throws IOException {
        assertThat(IMAGE.resolve("rootfs.ext4")).as("the golden image: build it with sudo snapshot/build.sh").exists();
        issuer = FakeCodexIssuer.start().approveAfterPolls(1).email("vm.user@example.com").plan("pro");
        vms = dir.resolve("vms");
        extra = Files.createDirectories(dir.resolve("vm-providers"));
        Files.writeString(extra.resolve("codex-device-vm.json"), deviceSpec("codex-device-vm",
            "http://10.0.2.100").encodePrettily());
        // 10.0.2.2 is the host in qemu's NAT: open to a guest without restrict=on, closed to ours
        Files.writeString(extra.resolve("codex-device-direct.json"), deviceSpec("codex-device-direct",
            "http://10.0.2.2:" + port(issuer.baseUrl())).encodePrettily());
        // the browser flow: codex's HTTPS through the intercepting proxy (10.0.2.101:3128 in the guest), trusting the
        // test CA, which travels in the bundle like any provider file
        net = FakeInternet.start(dir.resolve("net"));
        Files.copy(net.ca().caPem(), extra.resolve("fake-ca.pem"));
        String proxy = "http://10.0.2.101:3128";
        Files.writeString(extra.resolve("codex-vm.json"), new JsonObject().put("name", "codex-vm")
            .put("extends", "codex").put("env", new JsonObject().put("HTTPS_PROXY", proxy).put("https_proxy", proxy)
                .put("HTTP_PROXY", proxy).put("http_proxy", proxy).put("NO_PROXY", "127.0.0.1,localhost")
                .put("no_proxy", "127.0.0.1,localhost")
                .put(FakeInternet.CODEX_CA, "/run/loginrelay/providers/fake-ca.pem")).encodePrettily());
    }

    @AfterAll
    static void stop() {
        if (issuer != null) {
            issuer.close();
        }
        if (net != null) {
            net.close();
        }
    }

    private static JsonObject deviceSpec(String name, String issuerUrl) {
        return new JsonObject().put("name", name).put("extends", "codex-device")
            .put("command", new JsonArray(List.of("codex", "login", "--device-auth", "--experimental_issuer",
                issuerUrl)))
            .put("env", new JsonObject().put("CODEX_HOME", "${HOME}/.codex").put("HTTPS_PROXY", "http://127.0.0.1:9")
                .put("NO_PROXY", "127.0.0.1,localhost"));
    }

    private static int port(String url) {
        return URI.create(url).getPort();
    }

    private static ControllerFixture restoring(Path fixtureDir) throws IOException {
        ControllerFixture c = new ControllerFixture(fixtureDir);
        c.startSeconds(START_SECONDS);
        c.env.put("LOGINRELAY_VM_PROVIDER", "qemu");
        c.env.put("LOGINRELAY_QEMU_IMAGE_DIR", IMAGE.toString());
        c.env.put("LOGINRELAY_QEMU_WORK_DIR", vms.toString());
        c.env.put("LOGINRELAY_QEMU_ACCEL", "tcg");
        c.env.put("LOGINRELAY_QEMU_PROVIDERS_DIR", extra.toString());
        c.env.put("LOGINRELAY_QEMU_EGRESS", "10.0.2.100:80=127.0.0.1:" + port(issuer.baseUrl())
            + ",10.0.2.101:3128=127.0.0.1:" + port(net.proxy().url()));
        c.env.put("LOGINRELAY_AGENT_LOST_SECONDS", "60");
        c.env.put("LOGINRELAY_QEMU_WARM_VMS", "0"); // each VM restored at its click; the warm test sets 1
        return c;
    }

    @Test
    @Order(1)
    void aRestoredCloneCompletesTheRealCodexDeviceLoginAndIsDestroyedAfter() throws Exception {
        try (ControllerFixture c = restoring(dir.resolve("c1")).start()) {
            assertThat(goldenBases()).as("the provider made one golden snapshot at start").hasSize(1);
            Path golden = goldenBases().get(0);
            assertThat(golden.resolve("state.bin")).isNotEmptyFile();
            assertThat(new JsonObject(Files.readString(golden.resolve("doctor.json"))).encode())
                .as("the golden VM's self-check knows the per-VM providers").contains("codex-device-vm");

            JsonObject created = c.create("codex-device-vm", "vm-user-1");
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            JsonObject ready = c.awaitSession(id, token, v -> v.getBoolean("terminal"), 600);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("vm.user@example.com");
            JsonObject op = c.call("GET", "/api/v1/auth-sessions/" + id, null, ControllerFixture.OPERATOR).json();
            String vmId = op.getString("agentId");
            assertThat(vmId).as(op.encode()).startsWith("qemu-");
            String timeline = c.timeline(id).encode();
            assertThat(timeline).contains("agent.device_code_ready").contains("http://10.0.2.100/codex/device")
                .contains("agent.ready");
            for (String secret : List.of(issuer.accessToken(), issuer.refreshToken(), issuer.idToken(),
                    issuer.codeVerifier(), issuer.authorizationCode())) {
                assertThat(timeline + ready.encode()).doesNotContain(secret);
            }
            awaitGone(vms.resolve(vmId), 60);
        }
    }

    @Test
    @Order(2)
    void aSessionCreatedWhileAWarmCloneIsIdleIsServedByItAndNoWarmCloneOutlivesTheController() throws Exception {
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        Logger pool = (Logger) LoggerFactory.getLogger(QemuVmPool.class);
        pool.addAppender(logs);
        ControllerFixture c = restoring(dir.resolve("cw"));
        c.env.put("LOGINRELAY_QEMU_WARM_VMS", "1");
        try (c) {
            c.start();
            Poll.until(Duration.ofSeconds(300), "a clone is restored ahead", () -> idleVms(c) == 1);
            List<String> warmBefore = vmIds();
            assertThat(warmBefore).as("the one warm clone").hasSize(1);
            String warm = warmBefore.get(0);

            long t0 = System.nanoTime();
            JsonObject created = c.create("codex-device-vm", "vm-user-warm");
            String id = created.getString("id");
            String vmId = Poll.until(Duration.ofSeconds(300), "the session is placed on a VM", () -> c.call("GET",
                "/api/v1/auth-sessions/" + id, null, ControllerFixture.OPERATOR).json().getString("agentId"),
                v -> v != null);
            long placedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(vmId).as("the session got the clone that was warm before it was created").isEqualTo(warm);
            Poll.until(Duration.ofSeconds(60), "the warm clone counts as taken", () -> idleVms(c) == 0);
            long t1 = System.nanoTime();
            Poll.until(Duration.ofSeconds(300), "a new clone is restored ahead", () -> idleVms(c) == 1);
            long refillMs = (System.nanoTime() - t1) / 1_000_000;
            assertThat(placedMs).as("placed on the warm clone in %d ms; the refill's restore took at least %d ms",
                placedMs, refillMs).isLessThan(refillMs);

            JsonObject ready = c.awaitSession(id, created.getString("sessionToken"), v -> v.getBoolean("terminal"),
                600);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            awaitGone(vms.resolve(vmId), 60);
            List<String> refilled = vmIds();
            assertThat(refilled).as("only the refill is left").hasSize(1).doesNotContain(warm);
            long refillPid = qemuPid(refilled.get(0));
            assertThat(logs.list.stream().map(ILoggingEvent::getFormattedMessage))
                .anyMatch(m -> m.matches("session=" + id + " vm=" + warm + " warm clone handed out in \\d+ ms"));
            logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("handed out") || m.contains(" restored to agent ready"))
                .forEach(m -> System.out.println("QemuProviderIT warm: " + m));

            c.shutDown();
            assertThat(ProcessHandle.of(refillPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the idle clone's qemu is stopped with the controller").isFalse();
            assertThat(vmIds()).isEmpty();
        } finally {
            pool.detachAppender(logs);
        }
    }

    @Test
    @Order(3)
    void aWarmCloneLeftByAKilledControllerIsDestroyedAtTheNextStart() throws Exception {
        ControllerFixture first = restoring(dir.resolve("cw2"));
        first.env.put("LOGINRELAY_QEMU_WARM_VMS", "1");
        first.start();
        Poll.until(Duration.ofSeconds(300), "a clone is restored ahead", () -> idleVms(first) == 1);
        String left = vmIds().get(0);
        long pid = qemuPid(left);
        first.stopKeepingAgents();
        assertThat(ProcessHandle.of(pid)).as("a killed controller leaves its warm clone running").isPresent();

        try (ControllerFixture second = restoring(dir.resolve("cw3"))) {
            second.startOn(first.database());
            assertThat(vms.resolve(left)).as("no session owns it: destroyed at start").doesNotExist();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(goldenBases()).as("the golden snapshot stays").hasSize(1);
        }
    }

    @Test
    @Order(4)
    void theRealCodexBrowserLoginInACloneTakesTheUsersCallbackThroughTheController() throws Exception {
        try (ControllerFixture c = restoring(dir.resolve("c1b")).start()) {
            net.idp().email("vm.browser@example.com").codex().plan("team");
            JsonObject created = c.create("codex-vm", "vm-user-browser");
            String id = created.getString("id");
            String token = created.getString("sessionToken");
            JsonObject waiting = c.awaitSession(id, token, v -> v.getString("authUrl") != null
                || v.getBoolean("terminal"), 600);
            assertThat(waiting.getString("status")).as(waiting.encode()).isEqualTo("awaiting_user");
            String callback = FakeBrowser.callbackFor(waiting.getString("authUrl"),
                "code=" + net.idp().codex().authorizationCode() + "&state={state}");
            assertThat(callback).startsWith("http://localhost:1455/auth/callback?code=");

            ControllerFixture.Response relayed = c.post(id, "callback", new JsonObject().put("url", callback), token);
            assertThat(relayed.status()).as(relayed.body()).isEqualTo(202);
            JsonObject ready = c.awaitSession(id, token, v -> v.getBoolean("terminal"), 600);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("vm.browser@example.com");
            String seen = c.timeline(id).encode() + ready.encode() + relayed.body();
            assertThat(seen).contains("agent.callback_relayed");
            for (String secret : net.idp().issuedSecrets()) {
                assertThat(seen).as("secret %s... leaked", secret.substring(0, 6)).doesNotContain(secret);
            }
        }
    }

    @Test
    @Order(5)
    void twoSessionsAtOnceGetTwoClones() throws Exception {
        try (ControllerFixture c = restoring(dir.resolve("c2b")).start()) {
            JsonObject a = c.create("codex-device-vm", "vm-user-a");
            JsonObject b = c.create("codex-device-vm", "vm-user-b");
            List<String> vmIds = new ArrayList<>();
            for (JsonObject created : List.of(a, b)) {
                String id = created.getString("id");
                JsonObject ready = c.awaitSession(id, created.getString("sessionToken"),
                    v -> v.getBoolean("terminal"), 600);
                assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
                vmIds.add(c.call("GET", "/api/v1/auth-sessions/" + id, null, ControllerFixture.OPERATOR).json()
                    .getString("agentId"));
            }
            assertThat(vmIds).doesNotHaveDuplicates().allMatch(v -> v.startsWith("qemu-"));
            for (String vmId : vmIds) {
                awaitGone(vms.resolve(vmId), 60);
            }
        }
    }

    @Test
    @Order(6)
    void theGuestReachesOnlyTheForwardedEndpoint() throws Exception {
        try (ControllerFixture c = restoring(dir.resolve("c2")).start()) {
            int before = issuer.requests().size();
            JsonObject created = c.create("codex-device-direct", "vm-user-2");
            JsonObject done = c.awaitSession(created.getString("id"), created.getString("sessionToken"),
                v -> v.getBoolean("terminal"), 600);
            assertThat(done.getString("status")).as(done.encode()).isEqualTo("failed");
            assertThat(c.timeline(created.getString("id")).encode()).contains("10.0.2.2:" + port(issuer.baseUrl()));
            assertThat(issuer.requests()).as("nothing reached the issuer through the host's NAT address")
                .hasSize(before);
        }
    }

    @Test
    @Order(7)
    void aRestartedControllerFindsTheVmAndTheLoginCompletesThere() throws Exception {
        Waiting w = waitingLoginThenControllerStopped("c3", "vm-user-3");
        assertThat(vms.resolve(w.vmId())).as("the VM outlives the controller").isDirectory();

        try (ControllerFixture second = restoring(dir.resolve("c3b"))) {
            second.startOn(w.database());
            issuer.approveAfterPolls(0);
            JsonObject ready = second.awaitSession(w.id(), w.token(), v -> v.getBoolean("terminal"), 600);
            assertThat(ready.getString("status")).as(ready.encode()).isEqualTo("ready");
            awaitGone(vms.resolve(w.vmId()), 60);
        }
    }

    @Test
    @Order(8)
    void aVmThatDiedWhileTheControllerWasDownFailsItsSessionAtRestart() throws Exception {
        Waiting w = waitingLoginThenControllerStopped("c4", "vm-user-4");
        long pid = Long.parseLong(Files.readString(vms.resolve(w.vmId()).resolve("qemu.pid")).strip());
        ProcessHandle qemu = ProcessHandle.of(pid).orElseThrow();
        qemu.destroyForcibly();
        qemu.onExit().get(30, TimeUnit.SECONDS);

        try (ControllerFixture second = restoring(dir.resolve("c4b"))) {
            second.startOn(w.database());
            JsonObject failed = second.awaitSession(w.id(), w.token(), v -> v.getBoolean("terminal"), 60);
            assertThat(failed.getString("status")).as(failed.encode()).isEqualTo("failed");
            assertThat(failed.getJsonObject("error").getString("code")).isEqualTo("AGENT_LOST");
            assertThat(vms.resolve(w.vmId())).as("the dead VM's overlay is deleted").doesNotExist();
        } finally {
            issuer.approveAfterPolls(0);
        }
    }

    @Test
    @Order(9)
    void aColdBootedVmWithNoEgressRunsTheShippedProviderWhichCannotGetOut() throws Exception {
        ControllerFixture c = new ControllerFixture(dir.resolve("c5"));
        c.startSeconds(START_SECONDS);
        c.env.put("LOGINRELAY_VM_PROVIDER", "qemu");
        c.env.put("LOGINRELAY_QEMU_IMAGE_DIR", IMAGE.toString());
        c.env.put("LOGINRELAY_QEMU_WORK_DIR", dir.resolve("vms-cold").toString());
        c.env.put("LOGINRELAY_QEMU_RESTORE", "false");
        c.env.put("LOGINRELAY_QEMU_EGRESS", "none");
        c.env.put("LOGINRELAY_QEMU_WARM_VMS", "0");
        c.env.put("LOGINRELAY_AGENT_LOST_SECONDS", "60");
        try (c) {
            c.start();
            JsonObject created = c.create("codex-device", "vm-user-5");
            String id = created.getString("id");
            JsonObject done = c.awaitSession(id, created.getString("sessionToken"), v -> v.getBoolean("terminal"),
                1200);
            assertThat(done.getString("status")).as(done.encode()).isEqualTo("failed");
            String timeline = c.timeline(id).encode();
            assertThat(timeline).as("codex's own error, from inside the VM").contains("auth.openai.com");
            String vmId = c.call("GET", "/api/v1/auth-sessions/" + id, null, ControllerFixture.OPERATOR).json()
                .getString("agentId");
            assertThat(vmId).startsWith("qemu-");
            awaitGone(dir.resolve("vms-cold").resolve(vmId), 60);
        }
    }

    /** A session of this test's codex waiting for approval in its VM. */
    private record Waiting(String id, String token, String vmId, DbConfig database) {
    }

    /** Starts a controller, a login that waits for approval (the issuer holds it), then stops the controller. */
    private static Waiting waitingLoginThenControllerStopped(String fixture, String user) throws Exception {
        issuer.approveAfterPolls(Integer.MAX_VALUE);
        ControllerFixture first = restoring(dir.resolve(fixture)).start();
        JsonObject created = first.create("codex-device-vm", user);
        String id = created.getString("id");
        String token = created.getString("sessionToken");
        first.awaitStatus(id, token, "awaiting_user", 600);
        String vmId = first.call("GET", "/api/v1/auth-sessions/" + id, null, ControllerFixture.OPERATOR).json()
            .getString("agentId");
        first.stopKeepingAgents();
        return new Waiting(id, token, vmId, first.database());
    }

    private static List<Path> goldenBases() throws IOException {
        try (Stream<Path> s = Files.list(vms.resolve("golden"))) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}")).toList();
        }
    }

    /** The VMs (clones) under the work dir now, by id. */
    private static List<String> vmIds() throws IOException {
        try (Stream<Path> s = Files.list(vms)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("qemu-")).sorted().toList();
        }
    }

    private static long qemuPid(String vmId) throws IOException {
        return Long.parseLong(Files.readString(vms.resolve(vmId).resolve("qemu.pid")).strip());
    }

    /** {@code loginrelay_pool_agents{state="idle"}} from the controller's /metrics: warm clones nobody took. */
    private static int idleVms(ControllerFixture c) throws Exception {
        for (String line : c.call("GET", "/metrics", null, null).body().split("\n")) {
            if (line.startsWith("loginrelay_pool_agents{") && line.contains("state=\"idle\"")) {
                return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no loginrelay_pool_agents{state=\"idle\"} in /metrics");
    }

    private static void awaitGone(Path vmDir, int seconds) throws Exception {
        Poll.until(Duration.ofSeconds(seconds), "the VM " + vmDir + " is destroyed once its session ended",
            () -> !Files.exists(vmDir));
    }
}

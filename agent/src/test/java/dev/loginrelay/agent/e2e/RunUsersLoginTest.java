package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --run-as users} (the default {@code auto} when the agent is root): each login's CLI runs as a throw-away
 * Unix user of its own, which cannot read another login's HOME; whatever it leaves running dies with the run, and
 * the user is deleted, its files given back to the agent. Needs root (as the project's test machines run).
 */
@Timeout(180)
class RunUsersLoginTest {
    private Path root;
    private Path clis;
    private Path leftover;
    private AgentFixture agent;
    private JsonObject pasteSpec;
    /** Run users these tests made by hand (the agents' own stay for reuse, as on any host). */
    private final List<String> made = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        assertThat(System.getProperty("user.name")).as("these tests need root").isEqualTo("root");
        // Other users must be able to pass through to their HOMEs: not a 0700 test temp dir.
        root = Files.createTempDirectory(Path.of("/tmp"), "lr-run-users");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        // The CLIs must be reachable by those users too, wherever this checkout lives: the fake CLIs copied, the
        // pinned real ones bound into the test's dir.
        Path fakes = Files.createDirectories(root.resolve("fakecli"));
        Files.setPosixFilePermissions(fakes, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Stream<Path> s = Files.list(AgentFixture.FAKECLI)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Path c = Files.copy(f, fakes.resolve(f.getFileName()));
                Files.setPosixFilePermissions(c, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        clis = Files.createDirectories(root.resolve("clis"));
        Files.setPosixFilePermissions(clis, PosixFilePermissions.fromString("rwxr-xr-x"));
        Result bind = run("mount", "--bind", AgentFixture.cliBin().getParent().getParent().toRealPath().toString(),
            clis.toString());
        assertThat(bind.code()).as("mount --bind the pinned CLIs: " + bind.out()).isZero();
        JsonObject paste = new JsonObject(FakeSpecs.paste("fake-claude", new JsonObject()).encode()
            .replace(AgentFixture.FAKECLI.toString(), fakes.toString()));
        pasteSpec = paste;
        // The same CLI, but it first leaves a process behind, outside its own process tree (setsid).
        JsonArray cmd = paste.getJsonArray("command");
        leftover = Path.of("/tmp", "lr-left-" + root.getFileName());
        JsonObject escaper = paste.copy().put("name", "escaper").put("command", new JsonArray().add("sh").add("-c")
            .add("echo mine > " + leftover + "; setsid sleep 300 </dev/null >/dev/null 2>&1 & exec "
                + String.join(" ", cmd.stream().map(String::valueOf).toList())));
        agent = new AgentFixture(root).spec(paste).spec(escaper)
            .start(Map.of("LOGINRELAY_AGENT_RUN_AS", "users", "LOGINRELAY_AGENT_CLI_PATH",
                clis.resolve("node_modules/.bin").toString(), "LOGINRELAY_AGENT_LOCK_DIR",
                root.resolve("locks").toString()));
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        run("umount", clis.toString());
        made.forEach(n -> run("userdel", n));
        Files.deleteIfExists(leftover);
        run("rm", "-rf", "--one-file-system", root.toString());
    }

    @Test
    void eachLoginRunsAsItsOwnUserWhoCannotReadAnothersHome() throws Exception {
        JsonObject one = agent.startRun("u-1", "fake-claude");
        agent.startRun("u-2", "fake-claude");
        String url = agent.awaitInput("u-1", 30).getString("authUrl");
        agent.awaitInput("u-2", 30);
        Path home1 = agent.home("u-1");
        Path home2 = agent.home("u-2");
        int uid1 = cliUid(home1);
        int uid2 = cliUid(home2);
        assertThat(uid1).as("in the run users' own range").isBetween(200_000, 299_999);
        assertThat(uid2).isNotZero().isNotEqualTo(uid1);
        assertThat(uidOf(home1)).as("HOME owned by its run's user").isEqualTo(uid1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home1))).isEqualTo("rwx------");
        String name1 = userName(uid1).orElseThrow();

        // As the second login's user: the first one's HOME is closed, and the sessions dir cannot be listed.
        Result peek = asUser(uid2, "ls", home1.toString());
        assertThat(peek.code()).as(peek.out()).isNotZero();
        assertThat(peek.out()).contains("Permission denied");
        Result list = asUser(uid2, "ls", home1.getParent().getParent().toString());
        assertThat(list.code()).as(list.out()).isNotZero();

        // The login completes as that user, verify command included.
        assertThat(agent.post("/api/v1/runs/u-1/code", new JsonObject().put("code",
            "good-code#" + FakeBrowser.stateOf(url))).status()).isEqualTo(200);
        JsonObject ready = agent.awaitState("u-1", "ready", 30);
        assertThat(ready.getJsonObject("account").getString("email")).isEqualTo("fake.user@example.com");
        Path creds = home1.resolve(".fakecli/credentials.json");
        // Ended: nothing of the user runs, and what it wrote is the agent's again.
        AgentFixture.awaitTrue(() -> {
            try {
                return uidOf(creds) == 0;
            } catch (IOException e) {
                return false;
            }
        }, 10, "the first login's files given back to the agent");
        assertThat(processesOf(uid1)).isEmpty();
        JsonObject taken = agent.post("/api/v1/runs/u-1/credentials/take", null).json();
        assertThat(taken.getJsonArray("files")).hasSize(1);

        // A later login may get that wiped user again: the earlier login's files are not its any more.
        agent.startRun("u-3", "fake-claude");
        agent.awaitInput("u-3", 30);
        int uid3 = cliUid(agent.home("u-3"));
        assertThat(uid3).as("reused").isEqualTo(uid1);
        Result old = asUser(uid3, "ls", home1.toString());
        assertThat(old.code()).as(old.out()).isNotZero();

        assertThat(agent.post("/api/v1/runs/u-2/cancel", null).status()).isEqualTo(200);
        assertThat(agent.post("/api/v1/runs/u-3/cancel", null).status()).isEqualTo(200);
        // An agent that stops leaves its users for the next one on the host, which takes one rather than make one.
        agent.close();
        agent = null;
        assertThat(userName(uid1)).as(name1 + " kept for reuse").isPresent();
        AgentFixture next = new AgentFixture(root.resolve("next")).spec(paste()).start(Map.of("LOGINRELAY_AGENT_RUN_AS",
            "users", "LOGINRELAY_AGENT_CLI_PATH", clis.resolve("node_modules/.bin").toString(),
            "LOGINRELAY_AGENT_LOCK_DIR", root.resolve("locks").toString()));
        try {
            next.startRun("n-1", "fake-claude");
            next.awaitInput("n-1", 30);
            assertThat(cliUid(next.home("n-1"))).as("taken over, not made").isIn(uid1, uid2);
            assertThat(uidOf(home1)).as("the earlier login's HOME stays the agent's").isZero();
        } finally {
            next.close();
        }
        assertThat(one.getString("id")).isEqualTo("u-1");
    }

    @Test
    void whatACliLeavesRunningOutsideItsTreeDiesWithTheRun() throws Exception {
        agent.startRun("e-1", "escaper");
        agent.awaitInput("e-1", 30);
        int uid = cliUid(agent.home("e-1"));
        AgentFixture.awaitTrue(() -> processesOf(uid).stream().anyMatch(p -> p.cmd().startsWith("sleep")), 10,
            "the escaped sleep running as the run's user");
        assertThat(leftover).as("the CLI's file in /tmp").exists();
        assertThat(uidOf(leftover)).isEqualTo(uid);
        assertThat(agent.post("/api/v1/runs/e-1/cancel", null).status()).isEqualTo(200);
        AgentFixture.awaitTrue(() -> processesOf(uid).isEmpty(), 10, "no process of the run's user left");
        AgentFixture.awaitTrue(() -> !Files.exists(leftover), 10, "what it left in /tmp deleted");
    }

    /**
     * An agent killed mid-run leaves its user holding files and maybe a process; the lease names the run's dir. The
     * next agent that takes the user wipes it first: the process killed, the files given back.
     */
    @Test
    void aUserLeftByAKilledAgentIsWipedBeforeAnotherLoginGetsIt() throws Exception {
        agent.close(); // this test's agent would take the user first
        agent = null;
        String name = "lr" + "00000000ab";
        Result add = run("useradd", "-K", "UID_MIN=200000", "-K", "UID_MAX=299999", "-K", "GID_MIN=200000", "-K",
            "GID_MAX=299999", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment",
            "loginrelay run user", name);
        assertThat(add.code()).as(add.out()).isZero();
        made.add(name);
        int uid = Integer.parseInt(run("id", "-u", name).out().strip());
        Path oldRun = Files.createDirectories(root.resolve("old/sessions/s-old/home"));
        Path secret = Files.writeString(oldRun.resolve("credentials.json"), "{}");
        run("chown", "-R", uid + ":" + uid, root.resolve("old/sessions/s-old").toString());
        Files.createDirectories(root.resolve("locks/run-users"));
        Files.writeString(root.resolve("locks/run-users/" + name + ".lease"),
            root.resolve("old/sessions/s-old").toString());
        Process left = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "sleep",
            "300").start();
        // Every other run user on this host is held by someone else (as other agents would), so the next agent
        // takes this one (and its start's trim, which keeps up to 32 free users, leaves it alone).
        try (HeldLeases h = HeldLeases.hold(root.resolve("locks/run-users"), otherRunUids(uid))) {
            AgentFixture next = new AgentFixture(root.resolve("next")).spec(paste()).start(Map.of(
                "LOGINRELAY_AGENT_RUN_AS", "users", "LOGINRELAY_AGENT_CLI_PATH",
                clis.resolve("node_modules/.bin").toString(), "LOGINRELAY_AGENT_LOCK_DIR",
                root.resolve("locks").toString()));
            try {
                next.startRun("n-1", "fake-claude");
                next.awaitInput("n-1", 30);
                assertThat(cliUid(next.home("n-1"))).as("the left user, taken over").isEqualTo(uid);
                assertThat(left.waitFor(10, TimeUnit.SECONDS)).as("its leftover process killed").isTrue();
                assertThat(uidOf(secret)).as("the old run's file given back").isZero();
            } finally {
                left.destroyForcibly();
                next.close();
            }
        }
    }

    @Test
    void theRealClisShowTheirLinksAsThrowAwayUsers() throws Exception {
        for (String provider : List.of("claude", "codex")) {
            String id = "real-" + provider;
            agent.startRun(id, provider);
            JsonObject v = agent.awaitInput(id, 60);
            assertThat(v.getString("state")).as(provider + ": " + v.encode()).isEqualTo("awaiting_user");
            assertThat(v.getString("authUrl")).as(provider).startsWith("https://");
            assertThat(cliUid(agent.home(id))).as(provider).isNotZero();
            assertThat(agent.post("/api/v1/runs/" + id + "/cancel", null).status()).isEqualTo(200);
        }
    }

    @Test
    void refusesUsersWhereOtherUsersCannotReachTheHomes() throws Exception {
        Path closed = Files.createTempDirectory(Path.of("/tmp"), "lr-closed"); // 0700
        try {
            AgentFixture a = new AgentFixture(closed);
            assertThatThrownBy(() -> a.start(Map.of("LOGINRELAY_AGENT_RUN_AS", "users")))
                .hasMessageContaining("--run-as users: other users cannot pass through " + closed);
            a.close();
            AgentFixture auto = new AgentFixture(closed.resolve("auto"));
            auto.start(Map.of("LOGINRELAY_AGENT_RUN_AS", "auto"));
            try {
                auto.startRun("a-1", "claude");
                auto.awaitInput("a-1", 60);
                assertThat(cliUid(auto.home("a-1"))).as("auto falls back to the agent's own user").isZero();
                auto.post("/api/v1/runs/a-1/cancel", null);
            } finally {
                auto.close();
            }
        } finally {
            new ProcessBuilder("rm", "-rf", closed.toString()).start().waitFor();
        }
    }

    private JsonObject paste() {
        return pasteSpec;
    }

    /** The uids of the host's other run users. */
    private static List<Integer> otherRunUids(int except) throws IOException {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().map(l -> l.split(":"))
            .filter(f -> f.length > 4 && f[0].matches("lr[0-9a-f]{10}") && f[4].startsWith("loginrelay run user"))
            .map(f -> Integer.parseInt(f[2])).filter(u -> u != except).toList();
    }

    /** Leases held on other run users (as other live agents would), so a test controls which one is free. */
    private static final class HeldLeases implements AutoCloseable {
        private final List<java.nio.channels.FileChannel> channels = new java.util.ArrayList<>();

        static HeldLeases hold(Path dir, List<Integer> uids) throws IOException {
            HeldLeases h = new HeldLeases();
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[0].matches("lr[0-9a-f]{10}") && uids.contains(Integer.parseInt(f[2]))) {
                    java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(f[0] + ".lease"),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                    long until = System.nanoTime() + 10_000_000_000L;
                    while (true) {
                        try {
                            if (ch.tryLock() != null) {
                                h.channels.add(ch);
                                break;
                            }
                        } catch (java.nio.channels.OverlappingFileLockException e) {
                            // the agent in this JVM holds it for a moment (its start trims the host's users)
                        }
                        if (System.nanoTime() > until) {
                            ch.close();
                            throw new IOException("cannot hold the lease of " + f[0]);
                        }
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                }
            }
            return h;
        }

        @Override
        public void close() throws IOException {
            for (java.nio.channels.FileChannel ch : channels) {
                ch.close();
            }
        }
    }

    private record Proc(long pid, int uid, String cmd) {
    }

    private record Result(int code, String out) {
    }

    /** The uid of the CLI process working in {@code home} (a descendant of this JVM, where the agent runs). */
    private static int cliUid(Path home) throws Exception {
        Path real = home.toRealPath();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
                try {
                    if (Path.of("/proc", Long.toString(p.pid()), "cwd").toRealPath().equals(real)) {
                        return uidOfProcess(p.pid());
                    }
                } catch (IOException e) {
                    // gone
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no CLI process works in " + home);
    }

    private static int uidOfProcess(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.split("\\s+")[1]);
            }
        }
        throw new IOException("no Uid in /proc/" + pid + "/status");
    }

    private static List<Proc> processesOf(int uid) {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9]+")).map(p -> {
                try {
                    long pid = Long.parseLong(p.getFileName().toString());
                    return new Proc(pid, uidOfProcess(pid), Files.readString(p.resolve("cmdline"))
                        .replace('\0', ' ').strip());
                } catch (IOException | RuntimeException e) {
                    return null;
                }
            }).filter(p -> p != null && p.uid() == uid).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int uidOf(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid");
    }

    private static Optional<String> userName(int uid) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream().map(l -> l.split(":"))
                .filter(f -> f.length > 2 && f[2].equals(Integer.toString(uid))).map(f -> f[0]).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException | InterruptedException e) {
            return new Result(-1, e.toString());
        }
    }

    private static Result asUser(int uid, String... cmd) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid,
            "--clear-groups", "--"));
        argv.addAll(List.of(cmd));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}

package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.Agent;
import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.Vertx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real agent started as a user's workspace ({@code --workspace-home}), in-process on port 0, with the same CLIs
 * and operator specs as the controller's login agents: what a {@code static} agent in the user's VM is.
 */
final class WorkspaceAgent implements AutoCloseable {
    final Path home;
    final Agent agent;
    private final Vertx vertx = Vertx.vertx();

    WorkspaceAgent(Path dir, Path providers) throws Exception {
        this.home = Files.createDirectories(dir.resolve("home"));
        AgentConfig config = AgentConfig.from(Map.of(), List.of("--port", "0", "--work-dir", dir.resolve("work")
                .toString(), "--providers-dir", providers.toString(), "--workspace-home", home.toString(),
            "--cli-path", ControllerFixture.REPO.resolve(".clis/node_modules/.bin").toString()));
        agent = Agent.deploy(vertx, config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The {@code LOGINRELAY_WORKSPACES} entry of this workspace. */
    String entry(String id, String userId) {
        return id + "=" + userId + "=http://127.0.0.1:" + agent.port() + "=" + agent.tokenFile();
    }

    /** Runs {@code codex login status} against this workspace's HOME, as the user's own shell would. */
    Result codexLoginStatus() throws IOException, InterruptedException {
        return cli(List.of("codex", "login", "status"), Map.of("CODEX_HOME", home.resolve(".codex").toString(),
            "HTTPS_PROXY", "http://127.0.0.1:9", "NO_PROXY", "127.0.0.1,localhost"), 60);
    }

    /**
     * Runs an installed CLI ({@code argv[0]} from {@code .clis}) in this workspace's HOME with only {@code HOME},
     * {@code PATH} and {@code env}, stdin from /dev/null, as the user's own shell would; waits at most
     * {@code seconds}.
     */
    Result cli(List<String> argv, Map<String, String> env, int seconds) throws IOException, InterruptedException {
        Path bin = ControllerFixture.REPO.resolve(".clis/node_modules/.bin");
        List<String> command = new java.util.ArrayList<>(argv);
        command.set(0, bin.resolve(argv.get(0)).toString());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(home.toFile());
        pb.environment().clear();
        pb.environment().putAll(Map.of("HOME", home.toString(),
            "PATH", bin + ":/usr/local/bin:/usr/bin:/bin"));
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException e) {
                // the process was killed: what was read so far is the output
            }
        }, "workspace-cli-output");
        reader.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish in " + seconds + " s: " + out);
        }
        reader.join(5_000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String output) {
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}

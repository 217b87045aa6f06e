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
        ProcessBuilder pb = new ProcessBuilder(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/codex")
            .toString(), "login", "status").redirectErrorStream(true).directory(home.toFile());
        pb.environment().clear();
        pb.environment().putAll(Map.of("HOME", home.toString(), "CODEX_HOME", home.resolve(".codex").toString(),
            "PATH", ControllerFixture.REPO.resolve(".clis/node_modules/.bin") + ":/usr/local/bin:/usr/bin:/bin",
            "HTTPS_PROXY", "http://127.0.0.1:9", "NO_PROXY", "127.0.0.1,localhost"));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("codex login status did not finish in 60 s");
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String output) {
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}

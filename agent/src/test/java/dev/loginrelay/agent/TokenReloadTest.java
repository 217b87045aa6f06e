package dev.loginrelay.agent;

import dev.loginrelay.agent.config.AgentConfig;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A VM clone restored from a snapshot gets its own token: the agent re-reads its token file (SIGHUP) in place. */
@Timeout(30)
class TokenReloadTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Vertx vertx = Vertx.vertx();

    @TempDir
    Path tmp;

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void acceptsOnlyTheNewTokenAfterReload() throws Exception {
        Path tokenFile = tmp.resolve("agent.token");
        Agent agent = agentWithToken(tokenFile, "snapshot-token-0123456789");
        assertThat(status(agent, "snapshot-token-0123456789")).isEqualTo(200);

        Files.writeString(tokenFile, "clone-token-abcdefghijklmn\n");
        agent.reloadToken().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(status(agent, "snapshot-token-0123456789")).as("the snapshot's token stops working").isEqualTo(401);
        assertThat(status(agent, "clone-token-abcdefghijklmn")).isEqualTo(200);
    }

    @Test
    void keepsTheOldTokenWhenTheNewFileIsUnusable() throws Exception {
        Path tokenFile = tmp.resolve("agent.token");
        Agent agent = agentWithToken(tokenFile, "snapshot-token-0123456789");

        Files.writeString(tokenFile, "short\n");
        assertThat(agent.reloadToken().toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(10));
        Files.delete(tokenFile);
        assertThat(agent.reloadToken().toCompletionStage().toCompletableFuture()).as("no new token is invented")
            .failsWithin(Duration.ofSeconds(10));

        assertThat(status(agent, "snapshot-token-0123456789")).isEqualTo(200);
        assertThat(tokenFile).doesNotExist();
    }

    /** An agent on a free port whose token file holds {@code token}. */
    private Agent agentWithToken(Path tokenFile, String token) throws Exception {
        Files.writeString(tokenFile, token + "\n");
        AgentConfig config = AgentConfig.from(Map.of("LOGINRELAY_AGENT_PORT", "0",
            "LOGINRELAY_AGENT_WORK_DIR", tmp.resolve("work").toString(),
            "LOGINRELAY_AGENT_TOKEN_FILE", tokenFile.toString(),
            "LOGINRELAY_AGENT_LOCK_DIR", tmp.resolve("locks").toString()), List.of());
        return Agent.deploy(vertx, config).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static int status(Agent agent, String bearer) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/api/v1/providers"))
            .header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}

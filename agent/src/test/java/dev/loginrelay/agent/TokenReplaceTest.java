package dev.loginrelay.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.testing.CapturedLogs;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

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

/**
 * A sandbox booted ahead from a shared template holds the pool's bootstrap token; the controller that claims it gives
 * its agent a token of its own through {@code PUT /api/v1/token}, after which the bootstrap token opens nothing.
 */
@Timeout(30)
class TokenReplaceTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BOOTSTRAP = "pool-bootstrap-token-0123456789abcdef";
    private static final String OWN = "claimed-agent-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ_-";
    private final Vertx vertx = Vertx.vertx();

    @TempDir
    Path tmp;

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void acceptsOnlyTheNewTokenOnceReplaced() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        Agent agent = agentWithToken(BOOTSTRAP);

        HttpResponse<String> r = put(agent, BOOTSTRAP, "{\"token\":\"" + OWN + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"replaced\":true}");

        assertThat(status(agent, BOOTSTRAP)).as("the pool's shared token stops working").isEqualTo(401);
        assertThat(status(agent, OWN)).isEqualTo(200);
        assertThat(Files.readString(agent.tokenFile()).strip()).as("the shared token file is left alone")
            .isEqualTo(BOOTSTRAP);
        logs.list.forEach(e -> assertThat(e.getFormattedMessage()).doesNotContain(OWN).doesNotContain(BOOTSTRAP));
        assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("API token replaced"));
    }

    @Test
    void refusesWithoutTheCurrentTokenAndKeepsIt() throws Exception {
        Agent agent = agentWithToken(BOOTSTRAP);

        assertThat(put(agent, "not-the-token-0123456789abcdef", "{\"token\":\"" + OWN + "\"}").statusCode())
            .isEqualTo(401);
        assertThat(put(agent, null, "{\"token\":\"" + OWN + "\"}").statusCode()).isEqualTo(401);

        assertThat(status(agent, BOOTSTRAP)).isEqualTo(200);
        assertThat(status(agent, OWN)).isEqualTo(401);
    }

    @Test
    void rejectsABadTokenNamingTheRuleNotTheValue() throws Exception {
        Agent agent = agentWithToken(BOOTSTRAP);
        String shortOne = "short-secret-xyz";
        for (String body : List.of("{\"token\":\"" + shortOne + "\"}", "{\"token\":\"" + "a".repeat(31) + " \"}",
            "{\"token\":42}", "{}", "{\"token\":\"" + OWN + "\",\"extra\":1}")) {
            HttpResponse<String> r = put(agent, BOOTSTRAP, body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(r.body()).as(body).doesNotContain(shortOne);
        }
        assertThat(put(agent, BOOTSTRAP, "{\"token\":\"" + shortOne + "\"}").body()).contains("32 to 256 characters");
        assertThat(status(agent, BOOTSTRAP)).as("nothing changed").isEqualTo(200);
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logs = new CapturedLogs();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        return logs;
    }

    private Agent agentWithToken(String token) throws Exception {
        Path tokenFile = tmp.resolve("agent.token");
        Files.writeString(tokenFile, token + "\n");
        AgentConfig config = AgentConfig.from(Map.of("LOGINRELAY_AGENT_PORT", "0",
            "LOGINRELAY_AGENT_WORK_DIR", tmp.resolve("work").toString(),
            "LOGINRELAY_AGENT_TOKEN_FILE", tokenFile.toString(),
            "LOGINRELAY_AGENT_LOCK_DIR", tmp.resolve("locks").toString()), List.of());
        return Agent.deploy(vertx, config).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> put(Agent agent, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/api/v1/token"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
            .PUT(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(Agent agent, String bearer) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/api/v1/providers"))
            .header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}

package dev.loginrelay.controller.e2e;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** An SSE client on one replica sees every change made through another replica on the same database. */
@Timeout(180)
class ReplicaFanOutTest {

    @Test
    void anEventStreamOnOneReplicaFollowsASessionDrivenThroughAnother(@TempDir Path dirA, @TempDir Path dirB)
        throws Exception {
        try (ControllerFixture a = new ControllerFixture(dirA)
                .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject())).start();
             ControllerFixture b = new ControllerFixture(dirB)
                .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()))) {
            b.startOn(a.database());
            JsonObject created = a.create("fake-loopback", "user-fanout");
            String id = created.getString("id");
            String token = created.getString("sessionToken");

            List<JsonObject> seen = new CopyOnWriteArrayList<>();
            HttpRequest sse = HttpRequest.newBuilder(b.uri("/api/v1/auth-sessions/" + id + "/events?access_token="
                + token)).header("Accept", "text/event-stream").build();
            CompletableFuture<Void> done = HttpClient.newHttpClient()
                .sendAsync(sse, HttpResponse.BodyHandlers.ofLines())
                .thenAccept(r -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    try (Stream<String> lines = r.body()) {
                        lines.filter(l -> l.startsWith("data: ")).map(l -> new JsonObject(l.substring(6)))
                            .forEach(seen::add);
                    }
                });

            String url = a.awaitStatus(id, token, "awaiting_user", 60).getString("authUrl");
            assertThat(a.post(id, "callback", new JsonObject().put("url",
                FakeBrowser.callbackFor(url, "code=ok&state={state}")), token).status()).isEqualTo(202);
            done.get(60, TimeUnit.SECONDS); // the stream ends after the terminal status
            List<String> statuses = seen.stream().map(v -> v.getString("status")).distinct().toList();
            assertThat(statuses).containsSubsequence("awaiting_user", "ready");
            assertThat(seen.get(seen.size() - 1).getString("status")).isEqualTo("ready");
        }
    }
}

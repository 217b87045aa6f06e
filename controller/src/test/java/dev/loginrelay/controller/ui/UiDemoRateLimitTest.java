package dev.loginrelay.controller.ui;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** With the demo backend on, one address gets at most 10 tries a minute; the 11th is a 429 naming when to retry. */
@Timeout(180)
class UiDemoRateLimitTest {

    @Test
    void theDemoBackendRefusesAFloodFromOneAddress(@TempDir Path dir) throws Exception {
        try (ControllerFixture c = ControllerFixture.forPages(dir)
            .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()), "Codex (fake CLI)").start()) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                // Not a demo user: refused (400) after the limit is counted, so nothing is created meanwhile.
                statuses.add(c.call("POST", "/ui/sessions", "{\"provider\":\"fake-loopback\"}", null,
                    Map.of("X-Demo-User", "not-a-demo-user")).status());
            }
            assertThat(statuses.subList(0, 10)).containsOnly(400);
            assertThat(statuses.subList(10, 12)).as("after 10 in a minute").containsOnly(429);
            ControllerFixture.Response r = c.call("POST", "/ui/sessions", "{\"provider\":\"fake-loopback\"}", null,
                Map.of("X-Demo-User", "demo-flood"));
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("TOO_MANY_REQUESTS");
        }
    }
}

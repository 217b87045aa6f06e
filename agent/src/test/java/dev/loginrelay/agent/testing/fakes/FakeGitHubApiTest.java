package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** GitHub's device flow as the fake answers it, without the Copilot CLI (which {@code RealCopilot*} tests run). */
@Timeout(30)
final class FakeGitHubApiTest {
    private static final String GRANT = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code";
    private final FakeIdentityProvider idp = FakeIdentityProvider.start();

    @AfterEach
    void close() {
        idp.close();
    }

    @Test
    void pendsThenIssuesATokenThatOpensTheCopilotUser() {
        idp.github().approveAfterPolls(1).login("octo-test");
        JsonObject code = json(post("/login/device/code", "client_id=Ov23ctDVkRmgkPke0Mmm&scope=read%3Auser"));
        assertThat(code.getString("user_code")).matches("[A-Z0-9]{4}-[A-Z0-9]{4}").isEqualTo(idp.github().userCode());
        assertThat(code.getString("verification_uri")).isEqualTo("https://github.com/login/device");

        assertThat(poll(code).getString("error")).isEqualTo("authorization_pending");
        String token = poll(code).getString("access_token");
        assertThat(token).isEqualTo(idp.github().accessToken());
        assertThat(idp.issuedSecrets()).contains(token, code.getString("device_code"));

        MitmProxy.Reply user = get("/copilot_internal/user", token);
        assertThat(json(user).getString("login")).isEqualTo("octo-test");
        assertThat(get("/copilot_internal/user", "gho_someoneElse").status()).isEqualTo(401);
        assertThat(json(get("/user", token)).getString("login")).isEqualTo("octo-test");
        idp.github().hasCopilot(false);
        assertThat(get("/copilot_internal/user", token).status()).isEqualTo(404);
    }

    @Test
    void answersAccessDeniedOnceDeniedAndExpiredTokenAfterTheLifetime() throws Exception {
        JsonObject code = json(post("/login/device/code", "client_id=x"));
        idp.github().deny();
        assertThat(poll(code).getString("error")).isEqualTo("access_denied");

        idp.github().expiresIn(1);
        JsonObject shortLived = json(post("/login/device/code", "client_id=x"));
        Thread.sleep(1_100);
        assertThat(poll(shortLived).getString("error")).isEqualTo("expired_token");
        assertThat(post("/login/oauth/access_token", "device_code=wrong&grant_type=" + GRANT).status())
            .as("GitHub answers device-flow errors with 200").isEqualTo(200);
    }

    private JsonObject poll(JsonObject code) {
        return json(post("/login/oauth/access_token", "client_id=x&device_code=" + code.getString("device_code")
            + "&grant_type=" + GRANT));
    }

    private MitmProxy.Reply post(String path, String form) {
        return idp.handle(new MitmProxy.Exchange("github.com", true, "POST", path,
            Map.of("content-type", "application/x-www-form-urlencoded", "accept", "application/json"), form));
    }

    private MitmProxy.Reply get(String path, String token) {
        return idp.handle(new MitmProxy.Exchange("api.github.com", true, "GET", path,
            Map.of("authorization", "Bearer " + token), ""));
    }

    private static JsonObject json(MitmProxy.Reply r) {
        return new JsonObject(new String(r.body(), StandardCharsets.UTF_8));
    }
}

package dev.loginrelay.agent.testing.fakes;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The issuer's protocol on its own, without codex (which {@code e2e.RealCodexAgainstFakeIssuerTest} runs), so a
 * regression in the fake shows up even where the CLIs are not installed.
 */
@Timeout(30)
final class FakeCodexIssuerTest {
    private static final String USERCODE = "/api/accounts/deviceauth/usercode";
    private static final String POLL = "/api/accounts/deviceauth/token";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void answersPendingUntilApprovedThenHandsOutTheCode() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().approveAfterPolls(2).userCode("WXYZ-1234")) {
            JsonObject device = new JsonObject(post(issuer, USERCODE, "{\"client_id\":\"x\"}").body());
            assertThat(device.getString("user_code")).isEqualTo("WXYZ-1234");
            assertThat(device.getString("interval")).as("codex wants a string").isEqualTo("1");

            assertThat(post(issuer, POLL, "{}").statusCode()).isEqualTo(403);
            assertThat(post(issuer, POLL, "{}").statusCode()).isEqualTo(403);
            HttpResponse<String> approved = post(issuer, POLL, "{}");
            assertThat(approved.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(approved.body()).getString("authorization_code"))
                .isEqualTo(issuer.authorizationCode());
        }
    }

    @Test
    void exchangesTheCodeForTokensWithTheClaimsCodexReads() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().email("a@example.org").plan("pro")) {
            JsonObject tokens = new JsonObject(post(issuer, "/oauth/token",
                "grant_type=authorization_code&code=" + issuer.authorizationCode()).body());
            assertThat(tokens.getString("access_token")).isEqualTo(issuer.accessToken()).startsWith("fake-access-");
            assertThat(tokens.getString("refresh_token")).isEqualTo(issuer.refreshToken());

            String[] jwt = tokens.getString("id_token").split("\\.", -1);
            assertThat(jwt).hasSize(3)
                .allSatisfy(part -> assertThat(part).as("codex rejects empty parts").isNotEmpty());
            String payload = new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8);
            JsonObject claims = new JsonObject(payload);
            assertThat(claims.getString("email")).isEqualTo("a@example.org");
            assertThat(claims.getJsonArray("aud").getString(0)).isEqualTo(FakeCodexIssuer.CODEX_CLIENT_ID);
            JsonObject auth = claims.getJsonObject("https://api.openai.com/auth");
            assertThat(auth.getString("chatgpt_plan_type")).isEqualTo("pro");
            assertThat(auth.getString("chatgpt_account_id")).isEqualTo(issuer.accountId());
        }
    }

    @Test
    void rejectsAnUnknownCodeAndAnswersTheApiKeyExchange() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start()) {
            HttpResponse<String> bad = post(issuer, "/oauth/token", "grant_type=authorization_code&code=other");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).isEqualTo(FakeCodexIssuer.INVALID_GRANT);

            HttpResponse<String> key = post(issuer, "/oauth/token",
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&requested_token=openai-api-key");
            assertThat(new JsonObject(key.body()).getString("access_token"))
                .isEqualTo(issuer.apiKey()).startsWith("sk-");
        }
    }

    @Test
    void deniesOrFailsAsScripted() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().approveAfterPolls(0).deny()
                .failTokenExchange(500, "{\"error\":\"server_error\"}")) {
            assertThat(post(issuer, POLL, "{}").statusCode()).isEqualTo(400);
            HttpResponse<String> token = post(issuer, "/oauth/token",
                "grant_type=authorization_code&code=" + issuer.authorizationCode());
            assertThat(token.statusCode()).isEqualTo(500);
            assertThat(token.body()).isEqualTo("{\"error\":\"server_error\"}");
        }
    }

    @Test
    void recordsEveryRequestInOrder() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start()) {
            post(issuer, USERCODE, "{\"client_id\":\"c\"}");
            http.send(HttpRequest.newBuilder(URI.create(issuer.baseUrl() + "/nowhere?q=1")).build(),
                HttpResponse.BodyHandlers.ofString());

            assertThat(issuer.requests()).containsExactly(
                new FakeCodexIssuer.Request("POST", USERCODE, "{\"client_id\":\"c\"}"),
                new FakeCodexIssuer.Request("GET", "/nowhere", ""));
        }
    }

    private HttpResponse<String> post(FakeCodexIssuer issuer, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(issuer.baseUrl() + path))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}

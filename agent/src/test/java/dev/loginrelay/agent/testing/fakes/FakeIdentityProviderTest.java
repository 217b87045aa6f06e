package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider.Outcome;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The identity provider's answers on their own (what {@link MitmProxy} hands it), without the CLIs, so a regression
 * in the fake shows up even where they are not installed. The shapes are the ones the real CLIs needed
 * ({@code e2e/Real*Test} prove that).
 */
@Timeout(30)
final class FakeIdentityProviderTest {
    private final FakeIdentityProvider idp = FakeIdentityProvider.start().email("e@example.org");

    @AfterEach
    void close() {
        idp.close();
    }

    @Test
    void codexExchangesItsCodeForJwtTokensAndAnApiKey() {
        MitmProxy.Reply r = post("auth.openai.com", "/oauth/token", "grant_type=authorization_code&code="
            + idp.codex().authorizationCode() + "&code_verifier=verifier-from-the-cli-0123456789");
        JsonObject tokens = json(r);
        assertThat(r.status()).isEqualTo(200);
        assertThat(claims(tokens.getString("id_token")).getString("email")).isEqualTo("e@example.org");
        assertThat(claims(tokens.getString("access_token")).getJsonObject("https://api.openai.com/auth")
            .getString("chatgpt_account_id")).as("codex reads the access token's claims too")
            .isEqualTo(idp.codex().accountId());
        assertThat(json(post("auth.openai.com", "/oauth/token",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange")).getString("access_token"))
            .isEqualTo(idp.codex().apiKey());
        assertThat(idp.issuedSecrets()).contains(tokens.getString("access_token"), "verifier-from-the-cli-0123456789");
        assertThat(idp.routes("auth.openai.com")).containsExactly("POST /oauth/token", "POST /oauth/token");
    }

    @Test
    void claudeExchangesItsCodeAndServesTheProfileToItsToken() {
        MitmProxy.Reply r = post("platform.claude.com", "/v1/oauth/token",
            new JsonObject().put("grant_type", "authorization_code").put("code", idp.claudeCode()).encode());
        JsonObject tokens = json(r);
        assertThat(tokens.getJsonObject("account").getString("email_address")).isEqualTo("e@example.org");

        MitmProxy.Reply profile = get("api.anthropic.com", "/api/oauth/profile", tokens.getString("access_token"));
        assertThat(json(profile).getJsonObject("organization").getString("organization_type"))
            .isEqualTo("claude_max");
        assertThat(get("api.anthropic.com", "/api/oauth/profile", "someone-elses-token").status()).isEqualTo(401);
        assertThat(post("api.anthropic.com", "/api/event_logging/v2/batch", "{}").status()).isEqualTo(200);
    }

    @Test
    void googleExchangesItsCodeAndServesUserinfoAndCodeAssist() {
        JsonObject tokens = json(post("oauth2.googleapis.com", "/token",
            "grant_type=authorization_code&code=" + idp.googleCode().replace("/", "%2F")));
        String access = tokens.getString("access_token");
        assertThat(json(get("www.googleapis.com", "/oauth2/v2/userinfo", access)).getString("email"))
            .isEqualTo("e@example.org");
        MitmProxy.Reply assist = idp.handle(new MitmProxy.Exchange("cloudcode-pa.googleapis.com", true, "POST",
            "/v1internal:loadCodeAssist", Map.of("authorization", "Bearer " + access), "{}"));
        assertThat(json(assist).getString("cloudaicompanionProject")).isEqualTo(FakeGoogleApi.PROJECT);
        assertThat(json(assist).getJsonObject("currentTier").getString("id")).isEqualTo("free-tier");
    }

    @Test
    void rejectsCodesItDidNotIssueEvenWhenApproving() {
        assertThat(post("auth.openai.com", "/oauth/token", "grant_type=authorization_code&code=x").status())
            .isEqualTo(400);
        assertThat(json(post("platform.claude.com", "/v1/oauth/token",
            "{\"grant_type\":\"authorization_code\",\"code\":\"x\"}")).getString("error")).isEqualTo("invalid_grant");
        assertThat(json(post("oauth2.googleapis.com", "/token", "grant_type=authorization_code&code=x"))
            .getString("error")).isEqualTo("invalid_grant");
    }

    @ParameterizedTest
    @EnumSource(value = Outcome.class, names = {"DENY", "INVALID_GRANT", "SERVER_ERROR"})
    void scriptedOutcomesFailEveryTokenEndpointEvenForTheIssuedCode(Outcome outcome) {
        idp.outcome(outcome);
        int status = outcome == Outcome.SERVER_ERROR ? 500 : 400;
        String error = Map.of(Outcome.DENY, "access_denied", Outcome.INVALID_GRANT, "invalid_grant",
            Outcome.SERVER_ERROR, "server_error").get(outcome);
        for (MitmProxy.Reply r : new MitmProxy.Reply[] {
            post("auth.openai.com", "/oauth/token", "grant_type=authorization_code&code="
                + idp.codex().authorizationCode()),
            post("platform.claude.com", "/v1/oauth/token", new JsonObject().put("grant_type", "authorization_code")
                .put("code", idp.claudeCode()).encode()),
            post("oauth2.googleapis.com", "/token", "grant_type=authorization_code&code=" + idp.googleCode())}) {
            assertThat(r.status()).isEqualTo(status);
            assertThat(json(r).getString("error")).isEqualTo(error);
        }
        idp.outcome(Outcome.APPROVE);
        assertThat(post("oauth2.googleapis.com", "/token", "grant_type=authorization_code&code="
            + idp.googleCode()).status()).isEqualTo(200);
    }

    @Test
    void aSlowProviderAnswersItsTokenEndpointsLate() {
        idp.slow(Duration.ofMillis(400));
        long start = System.nanoTime();
        assertThat(post("oauth2.googleapis.com", "/token", "grant_type=authorization_code&code=x").status())
            .isEqualTo(400);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        long other = System.nanoTime();
        get("registry.npmjs.org", "/@google%2Fgemini-cli", null);
        assertThat(Duration.ofNanos(System.nanoTime() - other)).as("only token endpoints are slow")
            .isLessThan(Duration.ofMillis(400));
    }

    @Test
    void answersAnyOtherHostWithA404AndRecordsIt() {
        assertThat(get("registry.npmjs.org", "/@google%2Fgemini-cli", null).status()).isEqualTo(404);
        assertThat(idp.routes("registry.npmjs.org")).containsExactly("GET /@google%2Fgemini-cli");
    }

    private MitmProxy.Reply post(String host, String path, String body) {
        return idp.handle(new MitmProxy.Exchange(host, true, "POST", path, Map.of(), body));
    }

    private MitmProxy.Reply get(String host, String path, String bearer) {
        return idp.handle(new MitmProxy.Exchange(host, true, "GET", path,
            bearer == null ? Map.of() : Map.of("authorization", "Bearer " + bearer), ""));
    }

    private static JsonObject json(MitmProxy.Reply r) {
        return new JsonObject(new String(r.body(), StandardCharsets.UTF_8));
    }

    private static JsonObject claims(String jwt) {
        return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
    }
}

package dev.loginrelay.agent.relay;

import dev.loginrelay.agent.error.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The relay's target comes from the printed auth URL; pasted callbacks must match it exactly. */
class CallbackRelayCheckTest {
    private static final String AUTH_URL = "https://auth.openai.com/oauth/authorize?response_type=code"
        + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&state=S7jv6ZgD8mHTU8XZ&scope=openid";
    private static final CallbackRelay.Target T = CallbackRelay.targetOf(AUTH_URL);

    @Test
    void readsTheLoopbackTargetFromTheAuthUrl() {
        assertThat(T.host()).isEqualTo("127.0.0.1");
        assertThat(T.port()).isEqualTo(1455);
        assertThat(T.path()).isEqualTo("/auth/callback");
        assertThat(T.state()).isEqualTo("S7jv6ZgD8mHTU8XZ");
        assertThat(T.toString()).doesNotContain("S7jv6ZgD8mHTU8XZ");
    }

    @Test
    void acceptsTheBrowsersCallbackAndForwardsOnlyPathAndQuery() {
        assertThat(CallbackRelay.check(T, "http://localhost:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ"))
            .isEqualTo("/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ");
        assertThat(CallbackRelay.check(T, " http://127.0.0.1:1455/auth/callback?error=access_denied&state=S7jv6ZgD8mHTU8XZ "))
            .startsWith("/auth/callback?error=access_denied");
    }

    @Test
    void refusesEverythingElse() {
        String[] bad = {
            "http://localhost:1455/auth/callback?code=abc&state=WRONG",
            "http://localhost:1455/auth/callback?code=abc",
            "http://localhost:1457/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ",
            "http://localhost:1455/success?code=abc&state=S7jv6ZgD8mHTU8XZ",
            "http://localhost:1455/cancel?state=S7jv6ZgD8mHTU8XZ",
            "http://evil.example:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ",
            "https://localhost:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ",
            "http://localhost:1455/auth/callback?foo=bar&state=S7jv6ZgD8mHTU8XZ",
            "not a url at all",
        };
        for (String url : bad) {
            assertThatThrownBy(() -> CallbackRelay.check(T, url)).as(url).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("abc"));
        }
    }

    @Test
    void refusesRepeatedParametersUserinfoAndForeignHostsWithAReason() {
        String[][] bad = {
            {"http://localhost:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ&state=S7jv6ZgD8mHTU8XZ", "STATE_MISMATCH"},
            {"http://localhost:1455/auth/callback?state=WRONG&state=S7jv6ZgD8mHTU8XZ&code=abc", "STATE_MISMATCH"},
            {"http://localhost:1455/auth/callback?code=abc&code=def&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://evil.example@127.0.0.1:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://user:pw@localhost:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://127.0.0.2:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://LOCALHOST.evil.example:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://0.0.0.0:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://localhost:1455/auth/callback?code=abc&state=S7jv6ZgD8mHTU8XZ#x", "INVALID_CALLBACK"},
            {"http://localhost:1455/auth/callback?code=abc\u202e&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://localhost:1455/auth/callback?code=abc\u0000&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
            {"http://localhost:1455/auth/callback?code=abc\ud800&state=S7jv6ZgD8mHTU8XZ", "INVALID_CALLBACK"},
        };
        for (String[] b : bad) {
            assertThatThrownBy(() -> CallbackRelay.check(T, b[0])).as(b[0]).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).code().name()).isEqualTo(b[1]))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("abc"));
        }
    }

    @Test
    void refusesAnAuthUrlWithoutALoopbackRedirect() {
        assertThatThrownBy(() -> CallbackRelay.targetOf(
            "https://claude.ai/oauth/authorize?redirect_uri=https%3A%2F%2Fplatform.claude.com%2Fcb&state=x"))
            .isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.loginrelay.agent.support;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RedactTest {
    @Test
    void urlKeepsSchemeHostAndPathAndMasksEveryQueryValue() {
        assertThat(Redact.url("http://127.0.0.1:1455/auth/callback?code=abc&state=xyz"))
            .isEqualTo("http://127.0.0.1:1455/auth/callback?code=<redacted>&state=<redacted>");
        assertThat(Redact.url("https://auth.openai.com/oauth/authorize")).isEqualTo("https://auth.openai.com/oauth/authorize");
        assertThat(Redact.url("::not a url::")).isEqualTo("<unparseable url>");
    }

    @Test
    void textMasksTokensJwtsAndSensitivePairs() {
        String jwt = "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImFAYi5jIn0.sig";
        String out = Redact.text("got " + jwt + " and sk-abcdefghijklmnop, access_token=tok123 Bearer abc.def "
            + "see https://x.test/cb?code=c0de&state=s");
        assertThat(out).doesNotContain(jwt).doesNotContain("sk-abcdefghijklmnop").doesNotContain("tok123")
            .doesNotContain("abc.def").doesNotContain("c0de").contains("https://x.test/cb?code=<redacted>");
    }

    @Test
    void textKeepsOrdinaryErrorMessagesReadable() {
        String msg = "Token exchange failed: error sending request for url (https://auth.openai.com/oauth/token)";
        assertThat(Redact.text(msg)).isEqualTo(msg);
    }

    @Test
    void knownSecretsAreReplacedVerbatim() {
        assertThat(Redact.text("pasted Xy12secretZ9 here", List.of("Xy12secretZ9"))).isEqualTo("pasted <redacted> here");
    }

    @Test
    void secretNeverShowsItself() {
        Secret s = Secret.of("hunter2hunter2");
        assertThat(s.toString()).isEqualTo("<masked>");
        assertThat(s.matches("hunter2hunter2")).isTrue();
        assertThat(s.matches("hunter2")).isFalse();
        assertThat(s.matches(null)).isFalse();
    }
}

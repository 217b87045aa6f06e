package dev.loginrelay.agent.run;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The diagnostics file keeps why a run failed (its error code) and masks the secrets around it. */
class DiagnosticsLogTest {

    @Test
    void keepsTheErrorCodeAndMasksSecrets() {
        String line = DiagnosticsLog.redacted(new JsonObject().put("code", "CREDENTIALS_MISSING")
            .put("message", "callback had code=SplxlOBeZQQYbYS6WxSbIA and state=af0ifjsldkj")
            .put("authUrl", "https://auth.example.test/authorize?state=af0ifjsldkj&code_challenge=x"));
        assertThat(line).contains("code=CREDENTIALS_MISSING").doesNotContain("SplxlOBeZQQYbYS6WxSbIA")
            .doesNotContain("af0ifjsldkj").contains("https://auth.example.test/authorize");
        assertThat(DiagnosticsLog.redacted(new JsonObject().put("reason", "STATE_MISMATCH")))
            .contains("reason=STATE_MISMATCH");
    }

    @Test
    void aCodeThatIsNotAnErrorCodeIsStillMasked() {
        assertThat(DiagnosticsLog.redacted(new JsonObject().put("code", "4/0AfJohXm-secret-looking")))
            .doesNotContain("4/0AfJohXm-secret-looking");
    }
}

package dev.loginrelay.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecordsTest {
    private static final String URL = "https://auth.example.com/oauth/authorize?state=s3cr3tstate&code_challenge=abc";

    @Test
    void userStepToStringMasksUrlAndCode() {
        UserStep step = new UserStep(Expects.CODE, URL, "https://example.com/device", "ABCD-1234");
        assertThat(step.toString()).doesNotContain("s3cr3tstate", "ABCD-1234", "example.com").contains("code");
    }

    @Test
    void authSessionToStringHoldsNoAuthUrlOrCode() {
        AuthSession s = session(new UserStep(Expects.CALLBACK_URL, URL, null, "WXYZ-9876"));
        assertThat(s.toString()).doesNotContain("s3cr3tstate", "WXYZ-9876").contains(s.sessionId().toString());
    }

    @Test
    void callbackStepNeedsAnAuthUrl() {
        assertThatThrownBy(() -> new UserStep(Expects.CALLBACK_URL, null, null, null))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("authUrl");
    }

    @Test
    void authSessionRefusesFinishedAtOnActiveSession() {
        assertThatThrownBy(() -> new AuthSession(UUID.randomUUID(), "u", "codex", SessionState.PENDING, UserStep.NONE,
            null, null, null, null, null, null, null, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH,
            0, 0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finishedAt");
    }

    @Test
    void authSessionAccountCannotBeChangedFromOutside() {
        JsonObject account = new JsonObject().put("email", "a@example.com");
        AuthSession s = new AuthSession(UUID.randomUUID(), "u", "codex", SessionState.READY, UserStep.NONE, null,
            null, null, null, null, account, null, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, 4, 0, 5);
        account.put("email", "changed");
        s.account().put("email", "changed too");
        assertThat(s.account().getString("email")).isEqualTo("a@example.com");
    }

    @Test
    void tokenHashIsSha256AndNeverPrinted() {
        TokenHash h = TokenHash.of("token-value");
        assertThat(h.bytes()).hasSize(32);
        assertThat(h).isEqualTo(TokenHash.of("token-value")).isNotEqualTo(TokenHash.of("other"));
        assertThat(h.toString()).doesNotContain("token-value").contains("<masked>");
        assertThat(TokenHash.fromBytes(h.bytes())).isEqualTo(h);
    }

    @Test
    void eventKindMustFitTheColumnCheck() {
        assertThat(SessionEvent.requireKind("agent.url_found")).isEqualTo("agent.url_found");
        assertThatThrownBy(() -> SessionEvent.requireKind("Bad Kind")).hasMessageContaining("'Bad Kind'");
    }

    private static AuthSession session(UserStep step) {
        return new AuthSession(UUID.randomUUID(), "u", "codex", SessionState.AWAITING_USER, step, null, null, null,
            null, null, null, null, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, null, 2, 0, 3);
    }
}

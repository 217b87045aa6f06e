package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.pty.ScanEvent.AuthUrl;
import dev.loginrelay.agent.pty.ScanEvent.AwaitingInput;
import dev.loginrelay.agent.pty.ScanEvent.Failure;
import dev.loginrelay.agent.pty.ScanEvent.Success;
import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Claude Code 2.1.330: {@code claude auth login} and {@code claude setup-token}. */
class ClaudeTranscriptTest {
    private static final String COMPACT_400 =
        "https://claude.ai/oauth/authorize?z-Lx5vvDcRYb6pVUyuNeUAR30SfWRqOeK1yecwE8Wois0";
    private static final String SETUP_TOKEN_80 = "https://claude.com/cai/oauth/authorize?code=true"
        + "&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&response_type=code"
        + "&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback&scope=user%3Ainference"
        + "&code_challenge=6LOQyHfVfJ6BjezaGwjEeyCsnThiF4UXGRs8GyXCYzw&code_challenge_method=S256"
        + "&state=K2OZqBvDAB640mpwViFmCuM5ZcCX0GKJWNiGrw9PWL8";

    private static List<ScanEvent> scan(String name, Chunking chunking) {
        return chunking.scan(CliRules.claude(), Transcripts.load("claude/" + name));
    }

    private static List<ScanEvent> scan(String name) {
        return scan(name, Chunking.whole());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void findsCompactUrlOnceAlthoughPrintedAsOsc8TargetAndText(Chunking chunking) {
        assertThat(scan("auth-login-400", chunking)).containsExactly(new AuthUrl(COMPACT_400), new AwaitingInput());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void takesWholeUrlFromOsc8TargetWhereInkWrapsTheText(Chunking chunking) {
        List<ScanEvent> events = scan("setup-token-80cols", chunking);

        assertThat(events).as("the 80-column rows of the visible text are never reported")
            .containsExactly(new AuthUrl(SETUP_TOKEN_80));
    }

    @Test
    void findsCompactUrlAt80Columns() {
        assertThat(Transcripts.authUrls(scan("auth-login-80cols")))
            .containsExactly("https://claude.ai/oauth/authorize?z-DDheGcsIpcCb8WDuumJAPRy4cYJbudzhq6NASXr1yNE");
    }

    @Test
    void findsFullSignInLinkWithState() {
        String url = Transcripts.authUrls(scan("auth-login-FULL_SIGN_IN_LINK")).get(0);

        assertThat(Transcripts.hostAndPath(url)).isEqualTo("claude.com/cai/oauth/authorize");
        assertThat(Transcripts.queryParam(url, "client_id")).isEqualTo("9d1c250a-e61b-44d9-88ed-5944d1962f5e");
        assertThat(Transcripts.queryParam(url, "redirect_uri"))
            .isEqualTo("https://platform.claude.com/oauth/code/callback");
        assertThat(Transcripts.queryParam(url, "state")).isEqualTo("ML9QK5t6O_3A9mo8Hwkb5PMAx6al0Ij3_g9VjAigN2Q");
    }

    @Test
    void findsConsoleUrlOnPlatformHost() {
        String url = Transcripts.authUrls(scan("auth-login-console")).get(0);

        assertThat(Transcripts.hostAndPath(url)).isEqualTo("platform.claude.com/oauth/authorize");
        assertThat(Transcripts.queryParam(url, "state")).isEqualTo("arXy6BlJ7cEYCpVgb5L-lYUZpq000PyeZrEVCx2wLrI");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void reportsLoginSuccessfulAfterPastedCode(Chunking chunking) {
        assertThat(scan("e2e-mitm-paste", chunking)).containsExactly(
            new AuthUrl("https://claude.ai/oauth/authorize?z-MMxi1PhJJNytgxlRWF7hwD7upK_rTIy66JSbQV23_vs"),
            new AwaitingInput(),
            new Success("Login successful."));
    }

    @Test
    void reportsRejectedCode() {
        assertThat(scan("e2e-mitm-paste-rejected")).last().isEqualTo(new Failure("LOGIN_FAILED",
            "That code wasn't accepted. It may be incomplete, expired, already used, or from an earlier sign-in"
                + " attempt. Sign in again to get a new code."));
    }

    @Test
    void repromptsMalformedCodesThenFailsOffline() {
        List<ScanEvent> events = scan("auth-login-paste-bogus");

        assertThat(events).filteredOn(AwaitingInput.class::isInstance).as("first prompt plus four re-prompts")
            .hasSize(5);
        assertThat(events).first().isInstanceOf(AuthUrl.class);
        assertThat(events).last()
            .isEqualTo(new Failure("LOGIN_FAILED", "getaddrinfo EAI_AGAIN platform.claude.com"));
    }

    @Test
    void reportsCertificateFailureWithoutCa() {
        assertThat(scan("e2e-mitm-paste-no-ca")).last()
            .isEqualTo(new Failure("LOGIN_FAILED", "unable to verify the first certificate"));
    }

    @Test
    void reportsLoopbackSuccessOnPromptLine() {
        assertThat(scan("e2e-mitm-loopback")).last()
            .isEqualTo(new Success("Paste code here if prompted > Login successful."));
    }
}

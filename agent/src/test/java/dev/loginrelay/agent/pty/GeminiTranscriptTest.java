package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.pty.ScanEvent.AuthUrl;
import dev.loginrelay.agent.pty.ScanEvent.AwaitingInput;
import dev.loginrelay.agent.pty.ScanEvent.Failure;
import dev.loginrelay.agent.pty.ScanEvent.Prompt;
import dev.loginrelay.agent.pty.ScanEvent.Success;
import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Gemini CLI 0.61.0: pre-seeded paste flow, and the loopback flow of the TUI (DISPLAY set). */
class GeminiTranscriptTest {
    private static final String CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";

    private static List<ScanEvent> scan(String name, Chunking chunking) {
        return chunking.scan(CliRules.gemini(), Transcripts.load("gemini/" + name));
    }

    private static List<ScanEvent> scan(String name) {
        return scan(name, Chunking.whole());
    }

    @ParameterizedTest
    @ValueSource(strings = {"seeded-trustenv-400cols", "seeded-trustenv-80cols"})
    void findsGoogleUrlThenCodePrompt(String name) {
        List<ScanEvent> events = scan(name);

        assertThat(events).hasSize(2).last().isEqualTo(new AwaitingInput());
        String url = ((AuthUrl) events.get(0)).url();
        assertThat(Transcripts.hostAndPath(url)).isEqualTo("accounts.google.com/o/oauth2/v2/auth");
        assertThat(Transcripts.queryParam(url, "redirect_uri")).isEqualTo("https://codeassist.google.com/authcode");
        assertThat(Transcripts.queryParam(url, "state")).hasSize(64);
        assertThat(Transcripts.queryParam(url, "client_id")).as("the last parameter").isEqualTo(CLIENT_ID);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void reportsSecondUrlAfterFailedCode(Chunking chunking) {
        List<ScanEvent> events = scan("paste-empty-enter", chunking);

        assertThat(events).hasSize(5);
        assertThat(events).element(1).isEqualTo(new AwaitingInput());
        assertThat(events).element(3).isEqualTo(new AwaitingInput());
        assertThat(events).element(4)
            .isEqualTo(new Failure("AUTH_FAILED", "Failed to authenticate with user code."));
        List<String> urls = Transcripts.authUrls(events);
        assertThat(urls).hasSize(2).doesNotHaveDuplicates();
        assertThat(urls).extracting(url -> Transcripts.queryParam(url, "state")).containsExactly(
            "fc95228097f470953ff98683eab58e79ed5df4b0da8d368b62264baaeb5885c4",
            "5a48db1baedb1ef9e9cd9184ef2910259c6f29b93a79db823e794cb8db50daa8");
    }

    @Test
    void reportsSecondUrlAfterFiveMinutePromptTimeout() {
        List<ScanEvent> events = scan("paste-idle-420s");

        assertThat(events).extracting(e -> e.getClass().getSimpleName())
            .containsExactly("AuthUrl", "AwaitingInput", "AuthUrl", "AwaitingInput");
        assertThat(Transcripts.authUrls(events)).doesNotHaveDuplicates();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void reportsSignedInWithGoogleAfterPastedCode(Chunking chunking) {
        List<ScanEvent> events = scan("e2e-mitm-paste", chunking);

        assertThat(events).hasSize(3);
        assertThat(Transcripts.queryParam(((AuthUrl) events.get(0)).url(), "state"))
            .isEqualTo("232280362adf267a40410ceed790b263b12824bf0e292faed87b1bde561ffb23");
        assertThat(events.get(1)).isEqualTo(new AwaitingInput());
        assertThat(events.get(2)).isInstanceOfSatisfying(Success.class, success ->
            assertThat(success.line()).endsWith("Signed in with Google /auth"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#fastChunkings")
    void answersEachDialogOnceAlthoughInkRedrawsIt(Chunking chunking) {
        byte[] raw = Transcripts.load("gemini/loopback-cb-wrongstate");

        List<ScanEvent> events = chunking.scan(CliRules.gemini(), raw);

        assertThat(Chunking.whole().strip(raw).split("How would you like to authenticate", -1))
            .as("the dialog text is drawn four times").hasSize(5);
        assertThat(events).filteredOn(Prompt.class::isInstance).containsExactly(
            new Prompt("auth-method", "\r"), new Prompt("browser-consent", "\r"));
    }

    @Test
    void findsWholeLoopbackUrlAt1000Columns() {
        List<String> urls = Transcripts.authUrls(scan("loopback-1000cols"));

        assertThat(urls).singleElement().satisfies(url -> {
            assertThat(Transcripts.queryParam(url, "redirect_uri")).isEqualTo("http://127.0.0.1:33817/oauth2callback");
            assertThat(Transcripts.queryParam(url, "state"))
                .isEqualTo("2a2b1fd28570df702418edc6033c50e22397803d43a3f117521ad6b66a039f44");
            assertThat(Transcripts.queryParam(url, "client_id")).isEqualTo(CLIENT_ID);
        });
    }

    /** Why the runner must use a wide terminal: Ink hard-wraps this URL at 200 columns and there is no OSC 8. */
    @Test
    void findsOnlyFirstRowOfUrlThatInkWrappedAt200Columns() {
        List<String> urls = Transcripts.authUrls(scan("loopback-cb-wrongstate"));

        assertThat(urls).singleElement().satisfies(url -> {
            assertThat(url).startsWith("https://accounts.google.com/o/oauth2/v2/auth?redirect_uri=http%3A%2F%2F127")
                .endsWith("%2Fauth%2Fcloud-platform%20https%3")
                .doesNotContain("state=");
        });
    }

    @Test
    void reportsConsentTrapOfPreSeededSettingsWithDisplay() {
        assertThat(scan("loopback-display-browser")).filteredOn(Failure.class::isInstance).singleElement()
            .isInstanceOfSatisfying(Failure.class, failure -> assertThat(failure.message())
                .startsWith("Authentication consent could not be obtained."));
    }
}

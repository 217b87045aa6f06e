package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ScanRulesOf;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.pty.ScanEvent;
import dev.loginrelay.agent.pty.TerminalScanner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SHIPPED provider specs (not a copy of their patterns) against the recorded PTY bytes of the pinned CLI
 * versions: the URL, device code, input prompt, success and failure each spec relies on are found.
 */
class ShippedSpecsOnTranscriptsTest {
    private static final ProviderCatalog CATALOG = ProviderCatalog.load(null);

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource(delimiter = '|', value = {
        // spec        | transcript                              | expected events (kinds, in order)   | text in one of them
        "codex         | codex/login-correctstate.raw            | AuthUrl                             | https://auth.openai.com/oauth/authorize?response_type=code",
        "codex         | codex/login-access-denied.raw           | AuthUrl,Failure                     | Sign-in failed: User denied",
        "codex         | codex/e2e-browser-mitm-rejected.raw     | AuthUrl,Failure                     | Token exchange failed: token endpoint returned status 400",
        "codex         | codex/login-concurrent-A.raw            | AuthUrl,Failure                     | Login cancelled",
        "codex         | codex/login-paths.raw                   | AuthUrl,Success                     | Successfully logged in",
        "codex-device  | codex/e2e-device-issuer.raw             | DeviceCode,Success                  | FAKE-1234",
        "codex-device  | codex/device-auth.raw                   | Failure                             | error sending request for url",
        "claude        | claude/auth-login-FULL_SIGN_IN_LINK.raw | AuthUrl,AwaitingInput               | https://claude.com/cai/oauth/authorize?code=true",
        "claude        | claude/e2e-mitm-paste.raw               | AuthUrl,AwaitingInput,Success       | Login successful.",
        "claude        | claude/e2e-mitm-paste-rejected.raw      | AuthUrl,AwaitingInput,Failure       | That code wasn't accepted",
        "copilot       | copilot/device-approved.raw             | DeviceCode,Success                  | ABCD-1234",
        "copilot       | copilot/device-keychain-prompt-yes.raw  | DeviceCode,Prompt,Success           | Signed in successfully as",
        "copilot       | copilot/device-expired.raw              | DeviceCode,Failure                  | Device code expired before authorization completed",
        "copilot       | copilot/device-offline.raw              | Failure                             | error sending request for url",
        "gemini        | gemini/e2e-mitm-paste.raw               | AuthUrl,AwaitingInput,Success       | https://accounts.google.com/o/oauth2/v2/auth?",
        "gemini        | gemini/paste-empty-enter.raw            | AuthUrl,AwaitingInput,AuthUrl,AwaitingInput,Failure | Failed to authenticate with user code",
    })
    void findsWhatTheSpecNeedsInTheRecordedBytes(String provider, String transcript, String kinds, String text)
        throws Exception {
        TerminalScanner scanner = new TerminalScanner(ScanRulesOf.of(CATALOG.find(provider).orElseThrow()));
        byte[] raw;
        try (InputStream in = getClass().getResourceAsStream("/transcripts/" + transcript)) {
            assertThat(in).as(transcript).isNotNull();
            raw = in.readAllBytes();
        }
        List<ScanEvent> events = new java.util.ArrayList<>(scanner.feed(raw, 0, raw.length));
        events.addAll(scanner.finish());
        List<String> seen = events.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertThat(seen).as(events.toString()).containsSubsequence(List.of(kinds.split(",")));
        String all = events.stream().map(ScanRulesOfTestSupport::text).reduce("", String::concat);
        assertThat(all).contains(text);
    }
}

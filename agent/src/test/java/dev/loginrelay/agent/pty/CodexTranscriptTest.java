package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.pty.ScanEvent.AuthUrl;
import dev.loginrelay.agent.pty.ScanEvent.DeviceCode;
import dev.loginrelay.agent.pty.ScanEvent.Failure;
import dev.loginrelay.agent.pty.ScanEvent.Success;
import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** codex-cli 0.169.0: {@code codex login} (browser) and {@code codex login --device-auth}. */
class CodexTranscriptTest {
    /** The state parameter of each browser transcript, as printed (and as the recorder's curl calls used it). */
    private static final Map<String, String> STATES = Map.ofEntries(
        Map.entry("login-correctstate", "sEShSUKAN97McGC3MdVwpUxjR6Y44EDjNA6ZPbHvLIo"),
        Map.entry("login-wrongstate", "bDyfSkX1iC24oRhSkfuRcTyFJv8mB9ON1GmZuxLJqSA"),
        Map.entry("login-access-denied", "_NFe2wKxeNqXjxLhnzM32pMDRj_YO7uq3djCkpp-XE8"),
        Map.entry("login-paths", "of0J0BYFfGNqPrT6YD2TJSrxU8lmhR_xG8Vm6MEhD00"),
        Map.entry("login-success-path-only", "hobTstTUdLJ4_OUo49gqfh4fhCyBCJ4QuJUjD7TG-t0"),
        Map.entry("login-concurrent-A", "1IHVLIPIzWM0DEG3zgC7_L17yQNfBYkSkmmqSqaxyxk"),
        Map.entry("login-concurrent-B", "sovD_cQ3EHnBQH29v8i1FkLDjc46gJFgExSdMojXVVo"),
        Map.entry("login-port-busy", "iWdJo-yanBn6WQscWCwxJ1VlUbSQDRR7a9zMas9zhgY"),
        Map.entry("login-80cols", "7jv6ZgD8mHTU8XZpTLtc2MbTlh1acDlYwrARceGTBeo"),
        Map.entry("login-https-proxy", "TGosEINcU80rq2ZL_rBPD0h7Ij6lFhSxxF1lAOx9BX8"),
        Map.entry("login-idle-600s", "jgQ6kuu_ktupcx05GDjfgTV9aA0BO47K3yWCSrCam34"),
        Map.entry("login-ctrl-c", "ghbfmtaJmZ0BvoEpQLkoEfRQFITNs7BKx8QlWMhrZNM"),
        Map.entry("e2e-browser-mitm", "WlA8l-bDQG0LYjXOfDYN0fXE0wlwIjyDZNYKivhbWFA"),
        Map.entry("e2e-browser-mitm-rejected", "XmcD_tfc3LhLEHs_orZtgZX_gDt-7lecMRMQS_kVYb0"),
        Map.entry("e2e-browser-mitm-sslcertfile-nosuccess", "i0o6OsOUXexqna8sE69GvIauFVh48i3txtF223yqhjk"));

    static Stream<Arguments> browserTranscriptsInEveryChunking() {
        return STATES.keySet().stream().sorted()
            .flatMap(name -> Transcripts.chunkings().map(chunking -> Arguments.of(name, chunking)));
    }

    /** Codex prints the URL with no escape codes on a line of its own, so that line is the expected URL. */
    private static String urlLineOf(byte[] raw) {
        return Stream.of(new String(raw, StandardCharsets.UTF_8).split("\r\n"))
            .filter(line -> line.startsWith("https://auth.openai.com/oauth/authorize?"))
            .findFirst()
            .orElseThrow();
    }

    private static List<ScanEvent> scan(String name) {
        return Chunking.whole().scan(CliRules.codex(), Transcripts.load("codex/" + name));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("browserTranscriptsInEveryChunking")
    void findsCodexUrlInEveryChunking(String name, Chunking chunking) {
        byte[] raw = Transcripts.load("codex/" + name);

        List<String> urls = Transcripts.authUrls(chunking.scan(CliRules.codex(), raw));

        assertThat(urls).containsExactly(urlLineOf(raw));
        String url = urls.get(0);
        assertThat(url).as("465 chars, per the doc").hasSize(465);
        assertThat(Transcripts.hostAndPath(url)).isEqualTo("auth.openai.com/oauth/authorize");
        assertThat(Transcripts.queryParam(url, "client_id")).isEqualTo("app_EMoamEEZ73f0CkXaXp7hrann");
        assertThat(Transcripts.queryParam(url, "state")).isEqualTo(STATES.get(name));
        assertThat(Transcripts.queryParam(url, "originator")).as("the last parameter, so nothing was cut")
            .isEqualTo("codex_cli_rs");
    }

    @Test
    void findsFallbackPortInRedirectUri() {
        String url = Transcripts.authUrls(scan("login-port-busy")).get(0);

        assertThat(Transcripts.queryParam(url, "redirect_uri")).isEqualTo("http://127.0.0.1:1457/auth/callback");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "e2e-device-issuer, http://127.0.0.1:9999/codex/device",
        "e2e-device-mitm, https://auth.openai.com/codex/device"})
    void reportsDeviceCodeThenSuccess(String name, String verificationUrl) {
        byte[] raw = Transcripts.load("codex/" + name);

        Transcripts.chunkings().forEach(chunking -> assertThat(chunking.scan(CliRules.codex(), raw))
            .as(chunking.name())
            .containsExactly(new DeviceCode(verificationUrl, "FAKE-1234"), new Success("Successfully logged in")));
    }

    @Test
    void reportsOfflineDeviceAuthFailureBeforeAnyUrl() {
        assertThat(scan("device-auth")).containsExactly(new Failure("CLI_ERROR",
            "error sending request for url (https://auth.openai.com/api/accounts/deviceauth/usercode)"));
    }

    @Test
    void reportsRejectedTokenExchange() {
        assertThat(scan("e2e-browser-mitm-rejected")).filteredOn(Failure.class::isInstance).first()
            .isEqualTo(new Failure("TOKEN_EXCHANGE_FAILED",
                "Token exchange failed: token endpoint returned status 400 Bad Request: Invalid authorization code"));
    }

    @Test
    void reportsOfflineTokenExchangeFailure() {
        assertThat(scan("login-correctstate")).filteredOn(Failure.class::isInstance).first()
            .isEqualTo(new Failure("TOKEN_EXCHANGE_FAILED",
                "Token exchange failed: error sending request for url (https://auth.openai.com/oauth/token)"));
    }

    @Test
    void reportsAccessDenied() {
        assertThat(scan("login-access-denied")).last()
            .isEqualTo(new Failure("CLI_ERROR", "Sign-in failed: User denied"));
    }

    @Test
    void reportsLoginCancelledBySecondLogin() {
        List<ScanEvent> events = scan("login-concurrent-A");

        assertThat(events).filteredOn(Failure.class::isInstance).as("the specific rule first, then the catch-all")
            .containsExactly(
                new Failure("LOGIN_CANCELLED", "Login cancelled"), new Failure("CLI_ERROR", "Login cancelled"));
    }

    @Test
    void reportsBusyPortsWithoutUrl() {
        assertThat(scan("login-port-1455-1457-busy"))
            .containsExactly(new Failure("CLI_ERROR", "Port 127.0.0.1:1457 is already in use"));
    }

    @Test
    void reportsNoErrorAfterCtrlCBecauseCodexPrintsNone() {
        List<ScanEvent> events = scan("login-ctrl-c");

        assertThat(events).as("only the echoed ^C follows the URL").singleElement().isInstanceOf(AuthUrl.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"login-paths", "login-success-path-only", "e2e-browser-mitm"})
    void reportsSuccessTextEvenWhenOnlySpoofedByGetSuccess(String name) {
        assertThat(scan(name)).as("the CLI's word only; the run still checks `codex login status`")
            .last().isEqualTo(new Success("Successfully logged in"));
    }
}

package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.pty.ScanEvent.AuthUrl;
import dev.loginrelay.agent.pty.ScanEvent.AwaitingInput;
import dev.loginrelay.agent.pty.ScanEvent.DeviceCode;
import dev.loginrelay.agent.pty.ScanEvent.Failure;
import dev.loginrelay.agent.pty.ScanEvent.Prompt;
import dev.loginrelay.agent.pty.ScanEvent.Success;
import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every recorded transcript, scanned with its CLI's rules: what the scanner reports, checked against what the
 * recording shows ({@code docs/cli-facts.md} describes each CLI's output), in several chunkings.
 */
class AllTranscriptsTest {
    private static final Pattern STATE = Pattern.compile("[?&]state=([^&]*)");
    private static final int ONE_BYTE_LIMIT = 32 * 1024;

    private static final String REJECTED =
        "Token exchange failed: token endpoint returned status 400 Bad Request: Invalid authorization code";
    private static final String OFFLINE_TOKEN =
        "Token exchange failed: error sending request for url (https://auth.openai.com/oauth/token)";
    /** The failure that pre-seeded settings plus a DISPLAY cause at start (the doc's "Trap"), as Ink draws it. */
    private static final String CONSENT_TRAP =
        "failure SIGN_IN_FAILED: Authentication consent could not be obtained.";
    private static final String CONSENT_TRAP_BOXED = CONSENT_TRAP + " \u2502";
    /** At 200 columns Ink hard-wraps the loopback URL (no OSC 8): only its first row is found. */
    private static final String WRAPPED_URL = "url accounts.google.com/o/oauth2/v2/auth (no state, 198 chars)";

    private static final String COPILOT_CODE = "device https://github.com/login/device ABCD-1234";
    private static final String COPILOT_NOT_SAVED = "Login succeeded, but the token was not saved. Install a system"
        + " keychain or rerun login and accept plaintext storage.";
    private static final String COPILOT_NO_USER = "Failed to fetch Copilot user info: 404 X: {\"message\":\"Not Found\"}";

    private static final Map<String, List<String>> EXPECTED = table(
        row("codex/device-auth", "failure CLI_ERROR: error sending request for url"
            + " (https://auth.openai.com/api/accounts/deviceauth/usercode)"),
        row("codex/e2e-browser-mitm", codexUrl("WlA8l-bDQG0LYjXOfDYN0fXE0wlwIjyDZNYKivhbWFA"),
            "success Successfully logged in"),
        row("codex/e2e-browser-mitm-rejected", codexUrl("XmcD_tfc3LhLEHs_orZtgZX_gDt-7lecMRMQS_kVYb0"),
            "failure TOKEN_EXCHANGE_FAILED: " + REJECTED, "failure CLI_ERROR: " + REJECTED),
        row("codex/e2e-browser-mitm-sslcertfile-nosuccess", codexUrl("i0o6OsOUXexqna8sE69GvIauFVh48i3txtF223yqhjk")),
        row("codex/e2e-device-issuer", "device http://127.0.0.1:9999/codex/device FAKE-1234",
            "success Successfully logged in"),
        row("codex/e2e-device-mitm", "device https://auth.openai.com/codex/device FAKE-1234",
            "success Successfully logged in"),
        row("codex/login-80cols", codexUrl("7jv6ZgD8mHTU8XZpTLtc2MbTlh1acDlYwrARceGTBeo")),
        row("codex/login-access-denied", codexUrl("_NFe2wKxeNqXjxLhnzM32pMDRj_YO7uq3djCkpp-XE8"),
            "failure CLI_ERROR: Sign-in failed: User denied"),
        row("codex/login-concurrent-A", codexUrl("1IHVLIPIzWM0DEG3zgC7_L17yQNfBYkSkmmqSqaxyxk"),
            "failure LOGIN_CANCELLED: Login cancelled", "failure CLI_ERROR: Login cancelled"),
        row("codex/login-concurrent-B", codexUrl("sovD_cQ3EHnBQH29v8i1FkLDjc46gJFgExSdMojXVVo")),
        row("codex/login-correctstate", codexUrl("sEShSUKAN97McGC3MdVwpUxjR6Y44EDjNA6ZPbHvLIo"),
            "failure TOKEN_EXCHANGE_FAILED: " + OFFLINE_TOKEN, "failure CLI_ERROR: " + OFFLINE_TOKEN),
        row("codex/login-ctrl-c", codexUrl("ghbfmtaJmZ0BvoEpQLkoEfRQFITNs7BKx8QlWMhrZNM")),
        row("codex/login-https-proxy", codexUrl("TGosEINcU80rq2ZL_rBPD0h7Ij6lFhSxxF1lAOx9BX8"),
            "failure TOKEN_EXCHANGE_FAILED: " + OFFLINE_TOKEN, "failure CLI_ERROR: " + OFFLINE_TOKEN),
        row("codex/login-idle-600s", codexUrl("jgQ6kuu_ktupcx05GDjfgTV9aA0BO47K3yWCSrCam34")),
        row("codex/login-paths", codexUrl("of0J0BYFfGNqPrT6YD2TJSrxU8lmhR_xG8Vm6MEhD00"),
            "success Successfully logged in"),
        row("codex/login-port-1455-1457-busy", "failure CLI_ERROR: Port 127.0.0.1:1457 is already in use"),
        row("codex/login-port-busy", codexUrl("iWdJo-yanBn6WQscWCwxJ1VlUbSQDRR7a9zMas9zhgY")),
        row("codex/login-success-path-only", codexUrl("hobTstTUdLJ4_OUo49gqfh4fhCyBCJ4QuJUjD7TG-t0"),
            "success Successfully logged in"),
        row("codex/login-wrongstate", codexUrl("bDyfSkX1iC24oRhSkfuRcTyFJv8mB9ON1GmZuxLJqSA")),
        row("claude/auth-login-400", compact("z-Lx5vvDcRYb6pVUyuNeUAR30SfWRqOeK1yecwE8Wois0"), "input"),
        row("claude/auth-login-80cols", compact("z-DDheGcsIpcCb8WDuumJAPRy4cYJbudzhq6NASXr1yNE"), "input"),
        row("claude/auth-login-BROWSER-capture", compact("z-NnfDffujuW5mMXt59SlPVwQ4WFr2t_EKjtQ29gi36vw"), "input"),
        row("claude/auth-login-FULL_SIGN_IN_LINK",
            "url claude.com/cai/oauth/authorize state=ML9QK5t6O_3A9mo8Hwkb5PMAx6al0Ij3_g9VjAigN2Q", "input"),
        row("claude/auth-login-callback-code", compact("z-qPFDPbwFPnapzQx8bFVMC9T9F_vpkUOqEt9qkKpoZKA"), "input",
            "failure LOGIN_FAILED: getaddrinfo EAI_AGAIN platform.claude.com"),
        row("claude/auth-login-callback-error", compact("z-KJNvLoyzcqXayAlKAlHa56x-EOiqyUglvjsAiIvQVmM"), "input",
            "failure LOGIN_FAILED: No authorization code received"),
        row("claude/auth-login-callback-foo", compact("z-9Tb1yoJqOXZjs90xha6G510Wx5yPpPlCorgvcn6wAzM"), "input",
            "failure LOGIN_FAILED: No authorization code received"),
        row("claude/auth-login-callback-wrongstate", compact("z-zT6unxU0kNpSu4qpU7jDEcnMa-rsmxG3GBFSeZRJ9_M"), "input",
            "failure LOGIN_FAILED: Invalid state parameter"),
        row("claude/auth-login-console",
            "url platform.claude.com/oauth/authorize state=arXy6BlJ7cEYCpVgb5L-lYUZpq000PyeZrEVCx2wLrI", "input"),
        row("claude/auth-login-console-fulllink",
            "url platform.claude.com/oauth/authorize state=n9FT5fY2GoI0odbyq1HD4CiGFEdfvCgcbSJb8ed5ecY", "input"),
        row("claude/auth-login-fulllink-400cols",
            "url claude.com/cai/oauth/authorize state=ejbAOYSWdL2zjpWZN7-_i_9fZjrq3e4vNETd_ESANV4", "input"),
        row("claude/auth-login-fulllink-80cols",
            "url claude.com/cai/oauth/authorize state=RkbojdVoN1EujGmZvQvFTN4g_CcgK9T5ihP2JMDDZGY", "input"),
        row("claude/auth-login-idle-420s", compact("z-DoT6FogBFoBk6wOGqLLwePJFzS4l6kN0MWUe7lTfCXE"), "input"),
        row("claude/auth-login-paste-bogus", compact("z-8xiH4_0MyWXYkWD17uu_iZl4SoFhBJ2eFKYHCXJJDoY"),
            "input", "input", "input", "input", "input",
            "failure LOGIN_FAILED: getaddrinfo EAI_AGAIN platform.claude.com"),
        row("claude/concurrent-A", compact("z-OKh5geOhdT2UAROJyw0kDvYTCbZJr4IuIiImawiEC5E"), "input"),
        row("claude/concurrent-B", compact("z-iX7uIR2-HCLsncLyASxZ0KwD6xLUx9_se_t-RYl6sjs"), "input"),
        row("claude/e2e-mitm-loopback", compact("z-fhQWZ-3kJCDuJZwx5m_EPqrDc7w0Fh_goFpc7ti6lU4"), "input",
            "success Paste code here if prompted > Login successful."),
        row("claude/e2e-mitm-paste", compact("z-MMxi1PhJJNytgxlRWF7hwD7upK_rTIy66JSbQV23_vs"), "input",
            "success Login successful."),
        row("claude/e2e-mitm-paste-SSL_CERT_FILE", compact("z-ag9Dyc_5_E4LhDtxJJ2DasgNm6_IOBLr9Z4RTt4taGU"), "input",
            "success Login successful."),
        row("claude/e2e-mitm-paste-no-ca", compact("z-6OX2mujH25SVXhp_0Ej4PyPKdzRU73E2NY30745GMT8"), "input",
            "failure LOGIN_FAILED: unable to verify the first certificate"),
        row("claude/e2e-mitm-paste-rejected", compact("z-ieSUhfUNsqEMcFDigaXdFnzSnIEEv_zI0t6NO0B4rQ4"), "input",
            "failure LOGIN_FAILED: That code wasn't accepted. It may be incomplete, expired, already used, or from"
                + " an earlier sign-in attempt. Sign in again to get a new code."),
        row("claude/setup-token-400", "url claude.ai/oauth/authorize?IU5I7gd2YjFhnkZBDVgpwqJhDixPPnhpGvfbSA5so8aQ"),
        row("claude/setup-token-80cols",
            "url claude.com/cai/oauth/authorize state=K2OZqBvDAB640mpwViFmCuM5ZcCX0GKJWNiGrw9PWL8"),
        row("gemini/e2e-mitm-paste",
            googleUrl("232280362adf267a40410ceed790b263b12824bf0e292faed87b1bde561ffb23"), "input",
            "success \u2597\u259f\u2580 Signed in with Google /auth"),
        row("copilot/device-approved", COPILOT_CODE, "success Signed in successfully as octo-fake."),
        row("copilot/device-denied-polls-on", COPILOT_CODE),
        row("copilot/device-expired", COPILOT_CODE,
            "failure DEVICE_AUTH_EXPIRED: Device code expired before authorization completed",
            "failure CLI_ERROR: Error: Device code expired before authorization completed"),
        row("copilot/device-keychain-prompt-no", COPILOT_CODE, "prompt plaintext-token-storage",
            "failure TOKEN_NOT_SAVED: " + COPILOT_NOT_SAVED),
        row("copilot/device-keychain-prompt-yes", COPILOT_CODE, "prompt plaintext-token-storage",
            "success Signed in successfully as octo-fake."),
        row("copilot/device-no-copilot-user", COPILOT_CODE,
            "failure COPILOT_ACCESS_FAILED: " + COPILOT_NO_USER, "failure CLI_ERROR: Error: " + COPILOT_NO_USER),
        row("copilot/device-offline", "failure CLI_ERROR: Error: request failed: error sending request for url"
            + " (https://github.com/login/device/code)"),
        row("copilot/login-default-web-offline"),
        row("gemini/loopback-1000cols", "prompt auth-method", CONSENT_TRAP, "prompt browser-consent",
            googleUrl("2a2b1fd28570df702418edc6033c50e22397803d43a3f117521ad6b66a039f44")),
        row("gemini/loopback-cb-accessdenied", "prompt auth-method", CONSENT_TRAP_BOXED, "prompt browser-consent",
            WRAPPED_URL),
        row("gemini/loopback-cb-correct-offline", "prompt auth-method", CONSENT_TRAP_BOXED,
            "prompt browser-consent", WRAPPED_URL),
        row("gemini/loopback-cb-favicon", "prompt auth-method", CONSENT_TRAP_BOXED, "prompt browser-consent",
            WRAPPED_URL),
        row("gemini/loopback-cb-wrongstate", "prompt auth-method", CONSENT_TRAP_BOXED, "prompt browser-consent",
            WRAPPED_URL),
        row("gemini/loopback-display-browser", "prompt auth-method", CONSENT_TRAP_BOXED),
        row("gemini/loopback-display-browser-2", "prompt auth-method", CONSENT_TRAP_BOXED, "prompt browser-consent"),
        row("gemini/loopback-display-browser-3", "prompt auth-method", CONSENT_TRAP_BOXED, "prompt browser-consent",
            WRAPPED_URL),
        row("gemini/paste-ctrl-c", googleUrl("145812933f7bf24e48e895c5e2a701e66f576bc7143c66490cb46b42ef6478ad"),
            "input"),
        row("gemini/paste-empty-enter", googleUrl("fc95228097f470953ff98683eab58e79ed5df4b0da8d368b62264baaeb5885c4"),
            "input", googleUrl("5a48db1baedb1ef9e9cd9184ef2910259c6f29b93a79db823e794cb8db50daa8"), "input",
            "failure AUTH_FAILED: Failed to authenticate with user code."),
        row("gemini/paste-idle-420s", googleUrl("2a256a284bf037baf98c1b19bc65bcd554e284aba904555dea7b46ff89baba7e"),
            "input", googleUrl("f3a9c6e3aa15a6b3264b61b01add00a3880526bf94a4c97075eb1e3fbd616b95"), "input"),
        row("gemini/seeded-trustenv-400cols",
            googleUrl("8ade7aef3e77bb0e9e10f7a47ba1343ab80f76633b57b8e8ef65a781c1b2e3f4"), "input"),
        row("gemini/seeded-trustenv-80cols",
            googleUrl("4a7db5508868c893452c44332a277a269ad6de32c29df7099a3f25119ebecfa7"), "input"));

    static Stream<String> transcripts() {
        return EXPECTED.keySet().stream();
    }

    @Test
    void hasExpectationsForEveryRecordedTranscript() throws IOException, URISyntaxException {
        Path root = Path.of(Transcripts.class.getResource("/transcripts").toURI());
        try (Stream<Path> files = Files.walk(root)) {
            List<String> names = files.filter(p -> p.toString().endsWith(".raw"))
                .map(p -> root.relativize(p).toString().replace('\\', '/').replaceAll("\\.raw$", ""))
                .sorted()
                .toList();

            assertThat(names).containsExactlyElementsOf(EXPECTED.keySet());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void reportsWhatTheTranscriptShowsInEveryChunking(String name) {
        byte[] raw = Transcripts.load(name);
        ScanRules rules = CliRules.forCli(name.substring(0, name.indexOf('/')));
        List<ScanEvent> whole = Chunking.whole().scan(rules, raw);

        assertThat(whole).extracting(AllTranscriptsTest::summary).containsExactlyElementsOf(EXPECTED.get(name));
        Stream.concat(Transcripts.fastChunkings(), raw.length <= ONE_BYTE_LIMIT ? Stream.of(Chunking.oneByte())
                : Stream.empty())
            .forEach(chunking -> assertThat(chunking.scan(rules, raw)).as(chunking.name()).isEqualTo(whole));
    }

    /** One line per event; URLs by host, path and state (or in full when short), whitespace runs collapsed. */
    private static String summary(ScanEvent event) {
        String line;
        if (event instanceof AuthUrl u) {
            line = "url " + urlSummary(u.url());
        } else if (event instanceof DeviceCode d) {
            line = "device " + d.verificationUrl() + " " + d.userCode();
        } else if (event instanceof Prompt p) {
            line = "prompt " + p.name();
        } else if (event instanceof AwaitingInput) {
            line = "input";
        } else if (event instanceof Success s) {
            line = "success " + s.line();
        } else {
            Failure f = (Failure) event;
            line = "failure " + f.code() + ": " + f.message();
        }
        return line.replaceAll("\\s+", " ");
    }

    private static String urlSummary(String url) {
        String withoutScheme = url.substring(url.indexOf("://") + 3);
        Matcher state = STATE.matcher(url);
        if (state.find()) {
            return withoutScheme.substring(0, withoutScheme.indexOf('?')) + " state=" + state.group(1);
        }
        return url.length() <= 100 ? withoutScheme
            : withoutScheme.substring(0, withoutScheme.indexOf('?')) + " (no state, " + url.length() + " chars)";
    }

    private static String codexUrl(String state) {
        return "url auth.openai.com/oauth/authorize state=" + state;
    }

    private static String compact(String challenge) {
        return "url claude.ai/oauth/authorize?" + challenge;
    }

    private static String googleUrl(String state) {
        return "url accounts.google.com/o/oauth2/v2/auth state=" + state;
    }

    private static Map.Entry<String, List<String>> row(String name, String... events) {
        return Map.entry(name, List.of(events));
    }

    @SafeVarargs
    private static Map<String, List<String>> table(Map.Entry<String, List<String>>... rows) {
        Map<String, List<String>> table = new TreeMap<>();
        for (Map.Entry<String, List<String>> row : rows) {
            table.put(row.getKey(), row.getValue());
        }
        return table;
    }
}

package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loginrelay.agent.pty.ScanEvent.AuthUrl;
import dev.loginrelay.agent.pty.ScanEvent.AwaitingInput;
import dev.loginrelay.agent.pty.ScanEvent.DeviceCode;
import dev.loginrelay.agent.pty.ScanEvent.Failure;
import dev.loginrelay.agent.pty.ScanEvent.Prompt;
import dev.loginrelay.agent.pty.ScanEvent.Success;
import dev.loginrelay.agent.pty.ScanRules.FailureRule;
import dev.loginrelay.agent.pty.ScanRules.PromptRule;
import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TerminalScannerTest {
    private static final String URL = "https://auth.openai.com/oauth/authorize?response_type=code&state=abc-DEF_123";
    private static final Pattern CODEX_URL = Pattern.compile(
        "https://auth\\.openai\\.com/oauth/authorize\\?" + CliRules.URL_CHARS);

    private static ScanRules urlRules() {
        return new ScanRules(CODEX_URL, null, null, List.of(), null, null, List.of());
    }

    private static List<ScanEvent> feed(TerminalScanner scanner, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return scanner.feed(bytes, 0, bytes.length);
    }

    @Test
    void findsUrlSplitAcrossChunksOnceAndWhole() {
        TerminalScanner scanner = new TerminalScanner(urlRules());

        assertThat(feed(scanner, "open this:\r\n" + URL.substring(0, 50))).isEmpty();
        assertThat(feed(scanner, URL.substring(50))).as("nothing shows it is complete yet").isEmpty();
        assertThat(feed(scanner, "\r\n")).containsExactly(new AuthUrl(URL));
        assertThat(feed(scanner, "\r\nbye\r\n")).isEmpty();
        assertThat(scanner.finish()).isEmpty();
    }

    @Test
    void reportsUrlAtEndOfStreamOnFinish() {
        TerminalScanner scanner = new TerminalScanner(urlRules());

        assertThat(feed(scanner, URL)).isEmpty();
        assertThat(scanner.finish()).containsExactly(new AuthUrl(URL));
        assertThat(scanner.finish()).isEmpty();
    }

    @Test
    void endsUrlAtFirstCharacterOutsideStrictClass() {
        TerminalScanner scanner = new TerminalScanner(urlRules());

        List<ScanEvent> events = feed(scanner, "(" + URL + ")\u0007\u001b[94m" + URL + "x\u001b[0m");

        assertThat(events).as("the second URL goes on with x: not complete yet").containsExactly(new AuthUrl(URL));
    }

    @Test
    void reportsUrlAgainOnlyWhenItIsNew() {
        TerminalScanner scanner = new TerminalScanner(urlRules());
        String osc8 = "\u001b]8;;" + URL + "\u0007\u001b[94m" + URL + "\u001b[39m\u001b]8;;\u0007\r\n";
        String other = URL.replace("abc", "xyz");

        assertThat(feed(scanner, osc8 + URL + "\r\n")).containsExactly(new AuthUrl(URL));
        assertThat(feed(scanner, "Retrying...\r\n" + other + "\r\n")).containsExactly(new AuthUrl(other));
        assertThat(feed(scanner, "redraw: " + URL + "\r\n" + other + "\r\n")).isEmpty();
    }

    @Test
    void prefersOsc8TargetOverHardWrappedVisibleText() {
        TerminalScanner scanner = new TerminalScanner(urlRules());
        String link = "\u001b]8;id=1;" + URL + "\u0007";
        String wrapped = link + URL.substring(0, 45) + "\u001b]8;;\u0007\r\r\n" + link + URL.substring(45)
            + "\u001b]8;;\u0007\r\r\n";

        assertThat(feed(scanner, wrapped)).containsExactly(new AuthUrl(URL));
    }

    @Test
    void firesPromptWithMaxTimesOneOnce() {
        PromptRule trust = new PromptRule("trust", Pattern.compile("Do you trust the files"), "\r", 1);
        TerminalScanner scanner = new TerminalScanner(
            new ScanRules(null, null, null, List.of(trust), null, null, List.of()));

        assertThat(feed(scanner, "\u001b[2J Do you trust the files in this folder?")).containsExactly(
            new Prompt("trust", "\r"));
        assertThat(feed(scanner, "\u001b[H Do you trust the files in this folder? \u001b[2K")).isEmpty();
    }

    @Test
    void firesPromptAgainOnlyOnTextAfterItsLastMatch() {
        PromptRule next = new PromptRule("next", Pattern.compile("Press Enter to continue"), "\r", 3);
        TerminalScanner scanner = new TerminalScanner(
            new ScanRules(null, null, null, List.of(next), null, null, List.of()));

        assertThat(feed(scanner, "Login successful. Press Enter to continue")).hasSize(1);
        assertThat(feed(scanner, "\u001b[?25h")).as("no new text").isEmpty();
        assertThat(feed(scanner, "\r\nSecurity notes. Press Enter to continue\r\n")).hasSize(1);
        assertThat(feed(scanner, "Press Enter to continue Press Enter to continue")).as("maxTimes 3").hasSize(1);
    }

    @Test
    void reportsAwaitingInputOnUnfinishedLineEachTime() {
        TerminalScanner scanner = new TerminalScanner(new ScanRules(
            null, null, null, List.of(), Pattern.compile("Paste code here if prompted >"), null, List.of()));

        assertThat(feed(scanner, "Paste code here if prompted > \u001b[?25h")).containsExactly(new AwaitingInput());
        assertThat(feed(scanner, "abc\r\r\nThat doesn't look like the full code.\r\n")).isEmpty();
        assertThat(feed(scanner, "Paste code here if prompted > ")).containsExactly(new AwaitingInput());
    }

    @Test
    void reportsSuccessOnceWithItsLine() {
        TerminalScanner scanner = new TerminalScanner(new ScanRules(
            null, null, null, List.of(), null, Pattern.compile("Login successful\\."), List.of()));

        assertThat(feed(scanner, "Paste code here if prompted > Login successful.")).as("line unfinished").isEmpty();
        assertThat(feed(scanner, "\r\n"))
            .containsExactly(new Success("Paste code here if prompted > Login successful."));
        assertThat(feed(scanner, "Login successful.\r\n")).isEmpty();
    }

    @Test
    void takesFailureMessageFromGroupOneOrWholeLine() {
        TerminalScanner scanner = new TerminalScanner(new ScanRules(null, null, null, List.of(), null, null, List.of(
            new FailureRule("LOGIN_FAILED", Pattern.compile("Couldn't log in: (.*)")),
            new FailureRule("TLS", Pattern.compile("UNABLE_TO_VERIFY_LEAF_SIGNATURE")))));

        List<ScanEvent> events = feed(scanner,
            "Couldn't log in: unable to verify   \r\n  SSL certificate error (UNABLE_TO_VERIFY_LEAF_SIGNATURE).  \r\n");

        assertThat(events).containsExactly(
            new Failure("LOGIN_FAILED", "unable to verify"),
            new Failure("TLS", "SSL certificate error (UNABLE_TO_VERIFY_LEAF_SIGNATURE)."));
    }

    @Test
    void waitsForEndOfLineBeforeReportingFailure() {
        TerminalScanner scanner = new TerminalScanner(new ScanRules(null, null, null, List.of(), null, null,
            List.of(new FailureRule("CLI_ERROR", Pattern.compile("Error logging in: (.*)")))));

        assertThat(feed(scanner, "Error logging in: Port 127.0.0.1:14")).isEmpty();
        assertThat(feed(scanner, "57 is already in use\r\n")).containsExactly(
            new Failure("CLI_ERROR", "Port 127.0.0.1:1457 is already in use"));
        assertThat(feed(scanner, "Error logging in: again\r\n")).as("each rule at most once").isEmpty();
    }

    @Test
    void reportsSameLineForSpecificRuleBeforeCatchAll() {
        TerminalScanner scanner = new TerminalScanner(CliRules.codex());

        List<ScanEvent> events = feed(scanner, "Error logging in: Login cancelled\r\nError logging in: other\r\n");

        assertThat(events).containsExactly(
            new Failure("LOGIN_CANCELLED", "Login cancelled"), new Failure("CLI_ERROR", "Login cancelled"));
    }

    @Test
    void capsFailureMessageAt500Characters() {
        TerminalScanner scanner = new TerminalScanner(new ScanRules(null, null, null, List.of(), null, null,
            List.of(new FailureRule("CLI_ERROR", Pattern.compile("Error: .*")))));

        List<ScanEvent> events = feed(scanner, "  Error: " + "x".repeat(2000) + "\n");

        assertThat(events).singleElement().isInstanceOfSatisfying(Failure.class, failure ->
            assertThat(failure.message()).hasSize(500).startsWith("Error: xxx"));
    }

    @Test
    void reportsDeviceCodeOnceBothPartsAreComplete() {
        TerminalScanner scanner = new TerminalScanner(CliRules.codex());

        assertThat(feed(scanner, "   \u001b[94mhttps://auth.openai.com/codex/device\u001b[0m\r\n\r\n"
            + "2. Enter this one-time code \u001b[90m(expires in 15 minutes)\u001b[0m\r\n"
            + "   \u001b[94mFAKE-12")).isEmpty();
        assertThat(feed(scanner, "34\u001b[0m\r\n")).containsExactly(
            new DeviceCode("https://auth.openai.com/codex/device", "FAKE-1234"));
        assertThat(feed(scanner, "Enter this one-time code\r\n OTHER-9999\r\n")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void reportsTheSameEventsInTheSameOrderForEveryChunking(Chunking chunking) {
        byte[] stream = ("\u001b]8;;" + URL + "\u0007x\u001b]8;;\u0007\r\nError logging in: a\r\n"
            + "Enter this one-time code\r\n  ABC-DEF\r\nhttps://auth.openai.com/codex/device\r\n"
            + URL.replace("abc", "new") + " Successfully logged in\r\n" + URL)
            .getBytes(StandardCharsets.UTF_8);

        List<ScanEvent> events = chunking.scan(CliRules.codex(), stream);

        assertThat(events).containsExactly(
            new AuthUrl(URL),
            new Failure("CLI_ERROR", "a"),
            new DeviceCode("https://auth.openai.com/codex/device", "ABC-DEF"),
            new AuthUrl(URL.replace("abc", "new")),
            new Success(URL.replace("abc", "new") + " Successfully logged in"));
    }

    @Test
    void staysWithin64KiBAfter10MiBOfNoiseAndStillFindsUrl() {
        TerminalScanner scanner = new TerminalScanner(CliRules.codex());
        byte[] noise = noise(8192);
        int maxBuffered = 0;

        for (int fed = 0; fed < 10 * 1024 * 1024; fed += noise.length) {
            assertThat(scanner.feed(noise, 0, noise.length)).isEmpty();
            maxBuffered = Math.max(maxBuffered, scanner.bufferedChars());
        }
        List<ScanEvent> events = feed(scanner, "\r\n" + URL + "\r\n");

        assertThat(events).containsExactly(new AuthUrl(URL));
        assertThat(maxBuffered).as("stripped text held").isLessThanOrEqualTo(TerminalScanner.MAX_CHARS);
    }

    @Test
    void staysWithin64KiBOnOneEndlessLineFedInOneCall() {
        TerminalScanner scanner = new TerminalScanner(CliRules.claude());
        byte[] line = "spinner \u001b[2K\u001b[1G".repeat(400_000).getBytes(StandardCharsets.US_ASCII);

        assertThat(scanner.feed(line, 0, line.length)).isEmpty();
        assertThat(scanner.bufferedChars()).isLessThanOrEqualTo(TerminalScanner.MAX_CHARS);
        assertThat(feed(scanner, "Paste code here if prompted > ")).containsExactly(new AwaitingInput());
    }

    @Test
    void refusesFeedAfterFinish() {
        TerminalScanner scanner = new TerminalScanner(urlRules());
        scanner.finish();

        assertThatThrownBy(() -> feed(scanner, "x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void masksUrlQueryAndCodeInToString() {
        assertThat(new AuthUrl(URL).toString())
            .isEqualTo("AuthUrl[url=https://auth.openai.com/oauth/authorize?<masked>]")
            .doesNotContain("abc-DEF_123");
        assertThat(new DeviceCode("https://auth.openai.com/codex/device", "FAKE-1234").toString())
            .doesNotContain("FAKE-1234");
    }

    @Test
    void rejectsPromptRuleThatCanNeverFire() {
        assertThatThrownBy(() -> new PromptRule("x", Pattern.compile("x"), "\r", 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("maxTimes");
    }

    /** About {@code size} bytes of text, Ink-style escapes and line ends that no codex pattern matches. */
    private static byte[] noise(int size) {
        String[] parts = {"lorem ", "ipsum\r\n", "\u001b[38;5;174m", "\u001b[0m", "\u001b[12G",
            "https://example.test/x ",
            "\u001b]0;title\u0007", "\u2502\u2500", "Enter this", "\r", "auth.openai.com "};
        Random random = new Random(42);
        StringBuilder out = new StringBuilder();
        while (out.length() < size) {
            out.append(parts[random.nextInt(parts.length)]);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}

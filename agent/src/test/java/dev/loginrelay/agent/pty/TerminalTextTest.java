package dev.loginrelay.agent.pty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.pty.Transcripts.Chunking;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TerminalTextTest {

    private static String strip(String raw) {
        return Chunking.whole().strip(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static String stripByteByByte(String raw) {
        return Chunking.oneByte().strip(raw.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writesOsc8TargetTerminatedByBelInsteadOfVisibleText() {
        String raw = "visit:\r\n\u001b]8;;https://x.test/a?b=1\u0007"
            + "\u001b[94mhttps://x.test/a?b\u001b[39m\u001b]8;;\u0007\r\n";

        assertThat(strip(raw)).isEqualTo("visit:\nhttps://x.test/a?b=1 \n");
    }

    @Test
    void writesOsc8TargetTerminatedByStringTerminator() {
        String raw = "\u001b]8;id=7;https://x.test/a?b=1\u001b\\click here\u001b]8;;\u001b\\ done";

        assertThat(strip(raw)).isEqualTo("https://x.test/a?b=1  done");
        assertThat(stripByteByByte(raw)).isEqualTo("https://x.test/a?b=1  done");
    }

    @Test
    void dropsOtherOscSequences() {
        String raw = "\u001b]0;title\u0007\u001b]11;?\u001b\\\u001b]7501;?\u0007a\u001b]8;;\u0007b";

        assertThat(strip(raw)).isEqualTo("ab");
    }

    @Test
    void replacesInkCursorMovesWithOneSpace() {
        String raw = "\u001b[2GBrowser\u001b[10Gdidn't\u001b[17Gopen?\u001b[3Cx";

        assertThat(strip(raw)).isEqualTo(" Browser didn't open? x");
    }

    @Test
    void dropsCsiIncludingPrivateForms() {
        String raw = "\u001b[?25h\u001b[>0q\u001b[<u\u001b[?1049h\u001b[2J"
            + "\u001b[38;5;174mred\u001b[0m\u001b[2A\u001b[>4;?m.";

        assertThat(strip(raw)).isEqualTo("red.");
    }

    @Test
    void dropsCharsetSelectorsDcsAndTwoByteEscapes() {
        String raw = "\u001b(B\u001b)0\u001b#8\u001bP1$r0m\u001b\\"
            + "\u001b=\u001b>\u001b7\u001b8\u001bMa\u001b_apc\u001b\\b";

        assertThat(strip(raw)).isEqualTo("ab");
    }

    @Test
    void abortsOscAtAnEscapeThatIsNotStringTerminator() {
        assertThat(strip("\u001b]0;unterminated\u001b[31mtext")).isEqualTo("text");
    }

    @Test
    void turnsEveryCarriageReturnFormIntoOneNewline() {
        assertThat(strip("a\r\nb\rc\r\r\nd\n\ne\r")).isEqualTo("a\nb\nc\nd\n\ne\n");
        assertThat(stripByteByByte("a\r\nb\rc\r\r\nd\n\ne\r")).isEqualTo("a\nb\nc\nd\n\ne\n");
    }

    @Test
    void dropsControlCharactersButTabs() {
        assertThat(strip("a\u0007b\u0008c\td\u000e\u000fe\u007f\u0085f")).isEqualTo("abc\tdef");
    }

    @Test
    void decodesUtf8SplitAcrossChunks() {
        assertThat(stripByteByByte("Opening browser to sign in\u2026 \u2502\u256d \u25c7 \ud83d\ude00"))
            .isEqualTo("Opening browser to sign in\u2026 \u2502\u256d \u25c7 \ud83d\ude00");
    }

    @Test
    void carriesEscapeSequencesAcrossChunks() {
        String raw = "\u001b[38;5;174mWelcome\u001b[9Gto\u001b]8;id=1;https://x.test/?a=b\u001b\\x\u001b]8;;\u0007";

        assertThat(stripByteByByte(raw)).isEqualTo("Welcome tohttps://x.test/?a=b ");
    }

    @Test
    void replacesMalformedAndTruncatedUtf8() {
        TerminalText text = new TerminalText();
        byte[] bytes = {'a', (byte) 0xff, 'b', (byte) 0xe2, (byte) 0x80};

        String out = text.feed(bytes, 0, bytes.length) + text.finish();

        assertThat(out).isEqualTo("a\ufffdb\ufffd");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.loginrelay.agent.pty.Transcripts#chunkings")
    void stripsInkScreenTheSameInEveryChunking(Chunking chunking) {
        byte[] raw = Transcripts.load("claude/setup-token-80cols");

        String text = chunking.strip(raw);

        assertThat(text).isEqualTo(Chunking.whole().strip(raw));
        assertThat(text).contains(" Browser didn't open? Use the URL below to sign in (c to copy)\n")
            .contains(" Paste code here if prompted\n")
            .doesNotContain("\u001b", "\r", "\u0007");
    }
}

package dev.loginrelay.agent.pty;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Streaming UTF-8 decoder and escape-sequence stripper: raw PTY bytes in, plain text out. Chunk boundaries do not
 * matter: an incomplete UTF-8 sequence or escape sequence at the end of one chunk is carried over to the next.
 *
 * <p>A small state machine (after ECMA-48 and the xterm control sequences) does the stripping:
 * <ul>
 *   <li>OSC {@code ESC ] ... (BEL | ESC \)} vanishes, except OSC 8: {@code ESC]8;params;TARGET BEL} writes TARGET
 *       followed by one space, and the visible text of the link is dropped until the link closes
 *       ({@code ESC]8;;BEL}). Claude prints its URL both ways, and Ink hard-wraps the visible text but never the
 *       target, so the target is the one to keep.</li>
 *   <li>CSI {@code ESC [ params intermediates final}, private forms included, vanishes, except cursor forward
 *       ({@code C}) and cursor horizontal absolute ({@code G}), which become one space: Ink moves the cursor instead
 *       of printing spaces.</li>
 *   <li>DCS, SOS, PM and APC strings, charset selectors ({@code ESC ( B}) and two-byte escapes vanish.</li>
 *   <li>{@code \r\n}, a lone {@code \r} and a run like {@code \r\r\n} each become one {@code \n}; other C0 and C1
 *       controls except {@code \n} and {@code \t} vanish.</li>
 * </ul>
 * Memory is bounded: fixed 8 KiB buffers, and an OSC longer than 8 KiB is swallowed but not kept.
 */
final class TerminalText {
    private static final int BUFFER = 8192;
    private static final int MAX_OSC = 8192;
    private static final char ESC = 0x1B;
    private static final char BEL = 0x07;

    private enum State { GROUND, ESCAPE, ESCAPE_INTERMEDIATE, CSI, STRING, STRING_ESCAPE }

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer bytes = ByteBuffer.allocate(BUFFER);
    private final CharBuffer chars = CharBuffer.allocate(BUFFER);
    private final StringBuilder osc = new StringBuilder();
    private StringBuilder out = new StringBuilder();
    private State state = State.GROUND;
    private boolean keepString;
    private boolean oscOverflow;
    private boolean afterCr;
    private boolean inLink;

    /** Decodes and strips {@code len} bytes; returns the text they complete (possibly empty). */
    String feed(byte[] buf, int off, int len) {
        out = new StringBuilder(Math.min(len, BUFFER));
        int pos = off;
        int end = off + len;
        while (pos < end) {
            int n = Math.min(bytes.remaining(), end - pos);
            bytes.put(buf, pos, n);
            pos += n;
            bytes.flip();
            decode(false);
            bytes.compact();
        }
        return out.toString();
    }

    /** End of stream: an incomplete UTF-8 sequence becomes U+FFFD; an unfinished escape sequence is dropped. */
    String finish() {
        out = new StringBuilder();
        bytes.flip();
        decode(true);
        bytes.clear();
        decoder.flush(chars);
        drain();
        return out.toString();
    }

    private void decode(boolean endOfInput) {
        CoderResult result;
        do {
            result = decoder.decode(bytes, chars, endOfInput);
            drain();
        } while (result.isOverflow());
    }

    private void drain() {
        chars.flip();
        while (chars.hasRemaining()) {
            step(chars.get());
        }
        chars.clear();
    }

    private void step(char c) {
        switch (state) {
            case GROUND -> ground(c);
            case ESCAPE -> escape(c);
            case ESCAPE_INTERMEDIATE -> escapeIntermediate(c);
            case CSI -> csi(c);
            case STRING -> string(c);
            case STRING_ESCAPE -> stringEscape(c);
        }
    }

    private void ground(char c) {
        if (c == ESC) {
            state = State.ESCAPE;
        } else if (c == '\r') {
            newline();
            afterCr = true;
        } else if (c == '\n') {
            newline();
        } else if (c == '\t' || !(c < 0x20 || c == 0x7F || c >= 0x80 && c <= 0x9F)) {
            visible(c);
        }
    }

    /** One {@code \n} for {@code \r\n}, a lone {@code \r}, or a run such as Ink's {@code \r\r\n}. */
    private void newline() {
        if (!afterCr) {
            out.append('\n');
        }
        afterCr = false;
    }

    private void visible(char c) {
        afterCr = false;
        if (!inLink) {
            out.append(c);
        }
    }

    private void escape(char c) {
        state = State.GROUND;
        switch (c) {
            case '[' -> state = State.CSI;
            case ']' -> startString(true);
            case 'P', 'X', '^', '_' -> startString(false);
            case ESC -> state = State.ESCAPE;
            default -> {
                if (c >= 0x20 && c <= 0x2F) {
                    state = State.ESCAPE_INTERMEDIATE;   // ESC ( B, ESC ) 0, ESC # 8 ...
                } else if (c < 0x30 || c > 0x7E) {
                    ground(c);                           // not an escape after all: a control or text
                }                                        // else a two-byte escape (ESC =, ESC 7, ESC M ...)
            }
        }
    }

    private void escapeIntermediate(char c) {
        if (c >= 0x20 && c <= 0x2F) {
            return;
        }
        state = State.GROUND;
        if (c < 0x30 || c > 0x7E) {
            ground(c);
        }
    }

    private void csi(char c) {
        if (c >= 0x20 && c <= 0x3F) {
            return;                                      // parameters, private markers, intermediates
        }
        state = State.GROUND;
        if (c == 'C' || c == 'G') {
            visible(' ');
        } else if (c < 0x40 || c > 0x7E) {
            ground(c);                                   // malformed: give the character back
        }
    }

    private void startString(boolean isOsc) {
        state = State.STRING;
        keepString = isOsc;
        oscOverflow = false;
        osc.setLength(0);
    }

    private void string(char c) {
        if (c == BEL) {
            endString();
        } else if (c == ESC) {
            state = State.STRING_ESCAPE;
        } else if (keepString && !oscOverflow) {
            osc.append(c);
            oscOverflow = osc.length() > MAX_OSC;
        }
    }

    private void stringEscape(char c) {
        if (c == '\\') {
            endString();
        } else {
            state = State.ESCAPE;                        // an ESC that is not ST aborts the string
            escape(c);
        }
    }

    private void endString() {
        state = State.GROUND;
        if (keepString && !oscOverflow && osc.length() > 2 && osc.charAt(0) == '8' && osc.charAt(1) == ';') {
            hyperlink();
        }
        osc.setLength(0);
    }

    /** OSC 8: {@code 8;params;target}. An empty target closes the link. */
    private void hyperlink() {
        int semicolon = osc.indexOf(";", 2);
        if (semicolon < 0) {
            return;
        }
        inLink = false;
        if (semicolon + 1 == osc.length()) {
            return;
        }
        for (int i = semicolon + 1; i < osc.length(); i++) {
            char c = osc.charAt(i);
            if (c >= 0x20 && c != 0x7F) {
                out.append(c);
            }
        }
        visible(' ');
        inLink = true;
    }
}

package dev.loginrelay.agent.pty;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a CLI's login events in its raw PTY output: bytes in, {@link ScanEvent}s out. Pure: no threads, no I/O. Not
 * thread-safe; the run's PTY thread owns it.
 *
 * <p>The bytes go through {@link TerminalText} and the stripped text is matched against the {@link ScanRules}.
 * A match counts only once it can no longer change, which makes the result independent of how the stream is
 * chunked (one byte at a time or all at once: same events, same order):
 * <ul>
 *   <li>URLs and the one-time code need one character after the match that the pattern does not take
 *       ({@link Matcher#hitEnd()} false), or the end of the stream ({@link #finish()});</li>
 *   <li>success and failure need the end of their line, or the end of the stream;</li>
 *   <li>prompts count as soon as they match, because a CLI that waits for input ends without a newline.</li>
 * </ul>
 * Each rule resumes after its previous match. Where nothing matched, the search resumes at most 1 KiB before the
 * end of the text, so a match must show up within 1 KiB of where it begins (the longest in the fixtures, the
 * device-code pattern, spans about 60 characters). Events found in the same step are ordered by the position at
 * which each became certain. (A prompt pattern that ends in a greedy quantifier may match a shorter text when the
 * stream arrives in small pieces; keep prompt patterns literal.)
 *
 * <p>Memory is bounded: at most 64 KiB of stripped text is kept; older, already scanned text is dropped.
 */
public final class TerminalScanner {
    static final int MAX_CHARS = 64 * 1024;
    private static final int KEEP_CHARS = MAX_CHARS / 2;
    private static final int LOOKBACK = 1024;
    private static final int SLICE = 8192;
    private static final int MAX_MESSAGE = 500;
    private static final int MAX_URLS = 16;
    private static final Comparator<Found> ORDER = Comparator.comparingLong(Found::key).thenComparingInt(Found::rank);

    /** What must follow a match before it counts. */
    private enum Need { MATCH, TOKEN, LINE }

    /** An event and where in the text it became certain; rank breaks ties by event kind. */
    private record Found(long key, int rank, ScanEvent event) {
    }

    /** Where a rule resumes (an absolute text offset) and how often it has fired. */
    private static final class Cursor {
        long from;
        int fired;
    }

    private final ScanRules rules;
    private final TerminalText terminal = new TerminalText();
    private final StringBuilder window = new StringBuilder();
    private final Cursor url = new Cursor();
    private final Cursor verification = new Cursor();
    private final Cursor code = new Cursor();
    private final Cursor input = new Cursor();
    private final Cursor success = new Cursor();
    private final Cursor[] prompts;
    private final Cursor[] failures;
    private final Set<String> seenUrls = new LinkedHashSet<>();
    private long base;
    private boolean finished;
    private String deviceUrl;
    private String deviceCode;
    private long deviceKey;

    public TerminalScanner(ScanRules rules) {
        this.rules = Objects.requireNonNull(rules, "rules");
        this.prompts = cursors(rules.prompts().size());
        this.failures = cursors(rules.failures().size());
    }

    /** Scans the next {@code len} bytes of output; returns the events they complete, in stream order. */
    public List<ScanEvent> feed(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (finished) {
            throw new IllegalStateException("feed after finish");
        }
        List<ScanEvent> events = new ArrayList<>();
        for (int pos = off; pos < off + len; pos += SLICE) {
            String text = terminal.feed(buf, pos, Math.min(SLICE, off + len - pos));
            if (!text.isEmpty()) {
                window.append(text);
                scan(events);
            }
        }
        return events;
    }

    /** End of stream: the unfinished last line counts as complete. Later calls return nothing. */
    public List<ScanEvent> finish() {
        if (finished) {
            return List.of();
        }
        finished = true;
        window.append(terminal.finish());
        List<ScanEvent> events = new ArrayList<>();
        scan(events);
        return events;
    }

    /**
     * The last non-blank line of stripped output (at most 300 characters), for a failure report when no failure
     * pattern matched. Not redacted: the caller redacts it.
     */
    public String lastLine() {
        int end = window.length();
        while (end > 0) {
            int start = window.lastIndexOf("\n", end - 1) + 1;
            String line = window.substring(start, end).strip();
            if (!line.isEmpty()) {
                return line.length() > 300 ? line.substring(line.length() - 300) : line;
            }
            end = start - 1;
        }
        return "";
    }

    /** Stripped characters held right now; for the memory-bound test. */
    int bufferedChars() {
        return window.length();
    }

    private void scan(List<ScanEvent> events) {
        List<Found> found = new ArrayList<>();
        scanUrls(found);
        scanDevice(found);
        scanPrompts(found);
        scanInput(found);
        scanSuccess(found);
        scanFailures(found);
        found.sort(ORDER);
        found.forEach(f -> events.add(f.event()));
        trim();
    }

    private void scanUrls(List<Found> found) {
        if (rules.authUrl() == null) {
            return;
        }
        Matcher m;
        while ((m = next(rules.authUrl(), url, Need.TOKEN)) != null) {
            String candidate = m.group();
            if (seenUrls.add(candidate)) {
                if (seenUrls.size() > MAX_URLS) {
                    seenUrls.remove(seenUrls.iterator().next());
                }
                found.add(new Found(key(m, Need.TOKEN), 0, new ScanEvent.AuthUrl(candidate)));
            }
        }
    }

    private void scanDevice(List<Found> found) {
        if (rules.verificationUrl() == null || rules.userCode() == null || verification.fired > 0) {
            return;
        }
        Matcher m;
        if (deviceUrl == null && (m = next(rules.verificationUrl(), verification, Need.TOKEN)) != null) {
            deviceUrl = m.group();
            deviceKey = Math.max(deviceKey, key(m, Need.TOKEN));
        }
        if (deviceCode == null && (m = next(rules.userCode(), code, Need.TOKEN)) != null) {
            deviceCode = (m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group()).strip();
            deviceKey = Math.max(deviceKey, key(m, Need.TOKEN));
        }
        if (deviceUrl != null && deviceCode != null) {
            verification.fired = 1;
            found.add(new Found(deviceKey, 1, new ScanEvent.DeviceCode(deviceUrl, deviceCode)));
        }
    }

    private void scanPrompts(List<Found> found) {
        for (int i = 0; i < prompts.length; i++) {
            ScanRules.PromptRule rule = rules.prompts().get(i);
            Cursor cursor = prompts[i];
            Matcher m;
            while (cursor.fired < rule.maxTimes() && (m = next(rule.pattern(), cursor, Need.MATCH)) != null) {
                cursor.fired++;
                found.add(new Found(key(m, Need.MATCH), 2, new ScanEvent.Prompt(rule.name(), rule.answer())));
            }
        }
    }

    private void scanInput(List<Found> found) {
        if (rules.inputPrompt() == null) {
            return;
        }
        Matcher m;
        while ((m = next(rules.inputPrompt(), input, Need.MATCH)) != null) {
            found.add(new Found(key(m, Need.MATCH), 3, new ScanEvent.AwaitingInput()));
        }
    }

    private void scanSuccess(List<Found> found) {
        if (rules.success() == null || success.fired > 0) {
            return;
        }
        Matcher m = next(rules.success(), success, Need.LINE);
        if (m != null) {
            success.fired = 1;
            found.add(new Found(key(m, Need.LINE), 4, new ScanEvent.Success(message(m))));
        }
    }

    /** Each rule fires at most once. Rules that match the same line report it in rule order (specific first). */
    private void scanFailures(List<Found> found) {
        for (int i = 0; i < failures.length; i++) {
            ScanRules.FailureRule rule = rules.failures().get(i);
            Cursor cursor = failures[i];
            Matcher m;
            if (cursor.fired == 0 && (m = next(rule.pattern(), cursor, Need.LINE)) != null) {
                cursor.fired = 1;
                found.add(new Found(key(m, Need.LINE), 5, new ScanEvent.Failure(rule.code(), message(m))));
            }
        }
    }

    /**
     * The next match of {@code pattern} at or after the cursor that can no longer change, or null. Moves the cursor
     * past a returned match, to the start of a match that is still growing, or to 1 KiB before the end.
     */
    private Matcher next(Pattern pattern, Cursor cursor, Need need) {
        int end = window.length();
        Matcher m = pattern.matcher(window).useTransparentBounds(true).useAnchoringBounds(false);
        m.region((int) Math.max(0, cursor.from - base), end);
        if (!m.find()) {
            cursor.from = Math.max(cursor.from, base + end - LOOKBACK);
            return null;
        }
        if (!finished && !complete(m, need)) {
            cursor.from = base + m.start();
            return null;
        }
        cursor.from = base + Math.max(m.end(), m.start() + 1);
        return m;
    }

    private boolean complete(Matcher m, Need need) {
        return switch (need) {
            case MATCH -> true;
            case TOKEN -> m.end() < window.length() && !m.hitEnd();
            case LINE -> lineEnd(m) < window.length();
        };
    }

    /** The absolute offset of the last character needed to be sure of the match. */
    private long key(Matcher m, Need need) {
        return base + switch (need) {
            case MATCH -> Math.max(m.start(), m.end() - 1);
            case TOKEN -> m.end();
            case LINE -> lineEnd(m);
        };
    }

    private int lineStart(Matcher m) {
        return window.lastIndexOf("\n", m.start() - 1) + 1;
    }

    /** The index of the newline that ends the match's line, or the text length if that line is unfinished. */
    private int lineEnd(Matcher m) {
        boolean endsWithNewline = m.end() > m.start() && window.charAt(m.end() - 1) == '\n';
        int newline = endsWithNewline ? m.end() - 1 : window.indexOf("\n", m.end());
        return newline < 0 ? window.length() : newline;
    }

    /** Group 1 if the pattern has one that matched, otherwise the whole line; trimmed, at most 500 chars. */
    private String message(Matcher m) {
        String text = m.groupCount() >= 1 && m.group(1) != null
            ? m.group(1) : window.substring(lineStart(m), lineEnd(m));
        text = text.strip();
        return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE).strip() : text;
    }

    /** Drops old text once 64 KiB are held; halving at a time keeps the copying cost linear. */
    private void trim() {
        if (window.length() > MAX_CHARS) {
            int drop = window.length() - KEEP_CHARS;
            window.delete(0, drop);
            base += drop;
        }
    }

    private static Cursor[] cursors(int n) {
        Cursor[] cursors = new Cursor[n];
        for (int i = 0; i < n; i++) {
            cursors[i] = new Cursor();
        }
        return cursors;
    }
}

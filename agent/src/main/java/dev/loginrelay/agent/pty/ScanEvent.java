package dev.loginrelay.agent.pty;

import java.util.Objects;

/**
 * Something a {@link TerminalScanner} found in a CLI's output. The {@code toString()} of the events that carry an
 * OAuth URL or a one-time code masks them, so an event that reaches a log line leaks neither.
 */
public sealed interface ScanEvent {

    /** The authorize URL, complete. Reported again only for a URL not seen before (gemini prints a new one). */
    record AuthUrl(String url) implements ScanEvent {

        public AuthUrl {
            Objects.requireNonNull(url, "url");
        }

        @Override
        public String toString() {
            return "AuthUrl[url=" + masked(url) + "]";
        }
    }

    /** The device-flow link and one-time code, reported once when both have been seen. */
    record DeviceCode(String verificationUrl, String userCode) implements ScanEvent {

        public DeviceCode {
            Objects.requireNonNull(verificationUrl, "verificationUrl");
            Objects.requireNonNull(userCode, "userCode");
        }

        @Override
        public String toString() {
            return "DeviceCode[verificationUrl=" + masked(verificationUrl) + ", userCode=<masked>]";
        }
    }

    /** A {@link ScanRules.PromptRule} fired: the runner should write {@code answer}. */
    record Prompt(String name, String answer) implements ScanEvent {
    }

    /** The CLI waits for a pasted code (again, if this is not the first one). */
    record AwaitingInput() implements ScanEvent {
    }

    /** The success text appeared; {@code line} is group 1 of the pattern or else its whole line, trimmed. */
    record Success(String line) implements ScanEvent {
    }

    /** A failure line; {@code message} is group 1 of the rule or else the whole line, trimmed, at most 500 chars. */
    record Failure(String code, String message) implements ScanEvent {
    }

    /** Scheme, host and path only: the query holds state and PKCE values. */
    private static String masked(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?<masked>";
    }
}

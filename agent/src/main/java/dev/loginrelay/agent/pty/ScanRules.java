package dev.loginrelay.agent.pty;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a {@link TerminalScanner} looks for in one CLI's ANSI-stripped output. Every pattern is matched on stripped
 * text in which an OSC 8 hyperlink shows as its target (see {@link TerminalText}). URL patterns must use a strict
 * character class such as {@code [A-Za-z0-9._~%&=+\-]}, never {@code \S+}: a URL is reported only once a character
 * outside the class follows it (or the stream ends), so the class is what ends the URL.
 *
 * @param authUrl         the authorize URL, or null (device flow)
 * @param verificationUrl the device-flow link, or null
 * @param userCode        the device-flow one-time code in group 1, or null; may span lines
 * @param prompts         prompts the runner answers by itself
 * @param inputPrompt     the CLI waiting for a pasted code, or null; matched on the unfinished last line too
 * @param success         the success text, or null; reported once, with its whole line
 * @param failures        failure lines, most specific first; each rule is reported at most once
 */
public record ScanRules(Pattern authUrl, Pattern verificationUrl, Pattern userCode, List<PromptRule> prompts,
                        Pattern inputPrompt, Pattern success, List<FailureRule> failures) {

    public ScanRules {
        prompts = List.copyOf(Objects.requireNonNull(prompts, "prompts"));
        failures = List.copyOf(Objects.requireNonNull(failures, "failures"));
    }

    /**
     * A prompt to answer. It fires at most {@code maxTimes}, each time on text after its previous match, so text
     * that a redraw repeats from before that match does not fire it again.
     *
     * @param name     what the runner and the logs call it
     * @param pattern  the prompt text; matched as soon as it is complete, newline or not
     * @param answer   what the runner writes to the PTY
     * @param maxTimes how often it may fire, at least 1
     */
    public record PromptRule(String name, Pattern pattern, String answer, int maxTimes) {

        public PromptRule {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(answer, "answer");
            if (maxTimes < 1) {
                throw new IllegalArgumentException("prompt " + name + ": maxTimes cannot be less than 1");
            }
        }
    }

    /**
     * A line that means the login failed.
     *
     * @param code    the error code reported to the controller
     * @param pattern matched on complete lines; group 1, if the pattern has one, is the message
     */
    public record FailureRule(String code, Pattern pattern) {

        public FailureRule {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(pattern, "pattern");
        }
    }
}

package dev.loginrelay.agent.pty;

import dev.loginrelay.agent.pty.ScanRules.FailureRule;
import dev.loginrelay.agent.pty.ScanRules.PromptRule;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Scan rules per CLI, written from the table "At a glance" of {@code docs/cli-facts.md} (codex-cli 0.169.0, Claude Code
 * 2.1.330, Gemini CLI 0.61.0) and {@code docs/cli-copilot.md} (GitHub Copilot CLI 1.0.102). The shipped provider
 * specs are separate; these pin what the fixtures must yield.
 */
final class CliRules {
    /** The strict URL character class of the doc: no {@code \S+}. */
    static final String URL_CHARS = "[A-Za-z0-9._~%&=+\\-]+";

    private CliRules() {
    }

    /** {@code codex login} and {@code codex login --device-auth}. */
    static ScanRules codex() {
        return new ScanRules(
            Pattern.compile("https://auth\\.openai\\.com/oauth/authorize\\?" + URL_CHARS),
            Pattern.compile("https?://[A-Za-z0-9.\\-]+(?::[0-9]{1,5})?/codex/device"),
            Pattern.compile("Enter this one-time code[^\\n]*\\n\\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})+)"),
            List.of(),
            null,
            Pattern.compile("Successfully logged in"),
            List.of(
                failure("LOGIN_CANCELLED", "Error logging in: (Login cancelled)"),
                failure("TOKEN_EXCHANGE_FAILED", "Error logging in: (Token exchange failed: .*)"),
                failure("CLI_ERROR", "Error logging in: (.*)")));
    }

    /** {@code claude auth login} (and the URL of {@code claude setup-token}). */
    static ScanRules claude() {
        return new ScanRules(
            Pattern.compile("https://(?:claude\\.ai|claude\\.com/cai|platform\\.claude\\.com)/oauth/authorize\\?"
                + URL_CHARS),
            null,
            null,
            List.of(),
            Pattern.compile("Paste code here if prompted >"),
            Pattern.compile("Login successful\\."),
            List.of(failure("LOGIN_FAILED", "Couldn't log in: (.*)")));
    }

    /** {@code gemini} with pre-seeded settings (paste flow), plus the TUI dialogs of the loopback recordings. */
    static ScanRules gemini() {
        return new ScanRules(
            Pattern.compile("https://accounts\\.google\\.com/o/oauth2/v2/auth\\?" + URL_CHARS),
            null,
            null,
            List.of(
                new PromptRule("auth-method", Pattern.compile("How would you like to authenticate"), "\r", 1),
                new PromptRule("browser-consent", Pattern.compile("Do you want to continue\\?"), "\r", 1)),
            Pattern.compile("Enter the authorization code:"),
            Pattern.compile("Signed in with Google"),
            List.of(
                failure("AUTH_FAILED", "Error authenticating: (?:FatalAuthenticationError: )?([^\\n]*)"),
                failure("SIGN_IN_FAILED", "Failed to sign in\\. Message: ([^\\n]*)")));
    }

    /** {@code copilot login --device-code} (GitHub Copilot CLI 1.0.102). */
    static ScanRules copilot() {
        return new ScanRules(
            null,
            Pattern.compile("https?://[A-Za-z0-9.\\-]+(?::[0-9]{1,5})?/login/device(?![A-Za-z0-9/_\\-])"),
            Pattern.compile("enter code ([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})+)"),
            List.of(new PromptRule("plaintext-token-storage",
                Pattern.compile("Store token in plaintext config file\\? \\(y/N\\)"), "y\r", 1)),
            null,
            Pattern.compile("Signed in successfully as "),
            List.of(
                failure("DEVICE_AUTH_EXPIRED", "Login failed: Error: (Device code expired[^\\n]*)"),
                failure("TOKEN_NOT_SAVED", "(Login succeeded, but the token was not saved[^\\n]*)"),
                failure("COPILOT_ACCESS_FAILED", "Login failed: Error: (Failed to fetch Copilot user info[^\\n]*)"),
                failure("CLI_ERROR", "Login failed: (.*)")));
    }

    static ScanRules forCli(String cli) {
        return switch (cli) {
            case "codex" -> codex();
            case "claude" -> claude();
            case "gemini" -> gemini();
            case "copilot" -> copilot();
            default -> throw new IllegalArgumentException("no rules for " + cli);
        };
    }

    private static FailureRule failure(String code, String regex) {
        return new FailureRule(code, Pattern.compile(regex));
    }
}

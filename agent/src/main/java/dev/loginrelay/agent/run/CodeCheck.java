package dev.loginrelay.agent.run;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderSpec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks a pasted code before it is typed into the CLI: a malformed or foreign code can end a login (Claude exits on
 * a rejected code), and control characters could drive the terminal. Messages never echo the code.
 */
final class CodeCheck {
    private CodeCheck() {
    }

    static void check(ProviderSpec.CodeInput rule, String code, String authUrlState) {
        if (code == null || code.isBlank()) {
            throw new ApiException(ErrorCode.INVALID_CODE, "code must be a non-empty string");
        }
        if (code.length() > rule.maxLength()) {
            throw new ApiException(ErrorCode.INVALID_CODE, "code is " + code.length()
                + " characters long; at most " + rule.maxLength() + " are accepted");
        }
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
                throw new ApiException(ErrorCode.INVALID_CODE,
                    "code contains a control character at position " + i + "; paste only the code");
            }
        }
        String trimmed = code.strip();
        if (rule.pattern() != null && !trimmed.matches(rule.pattern())) {
            throw new ApiException(ErrorCode.INVALID_CODE, "that does not look like the code: "
                + (rule.hint() == null ? "check what you pasted" : rule.hint()));
        }
        if (rule.stateSeparator() != null && authUrlState != null) {
            int at = trimmed.lastIndexOf(rule.stateSeparator());
            String state = at < 0 ? "" : trimmed.substring(at + rule.stateSeparator().length());
            if (!MessageDigest.isEqual(state.getBytes(StandardCharsets.UTF_8),
                    authUrlState.getBytes(StandardCharsets.UTF_8))) {
                throw new ApiException(ErrorCode.STATE_MISMATCH,
                    "this code belongs to another sign-in attempt; open this login's URL and paste the code it shows");
            }
        }
    }
}

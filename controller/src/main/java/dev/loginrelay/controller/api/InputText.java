package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;

/**
 * The one check every text a client sends goes through before it reaches a service or SQL: not empty, not too long,
 * and none of what PostgreSQL cannot store or an operator's terminal would misrender: NUL and other control
 * characters, a lone UTF-16 surrogate (stored as {@code ?} otherwise), bidirectional controls (which make a user id
 * read differently than it compares). The error names the field, never echoes the value.
 */
final class InputText {
    private InputText() {
    }

    static String check(String field, String value, int maxLength) {
        if (value.isEmpty() || value.isBlank()) {
            throw bad(field, "must not be empty");
        }
        if (value.length() > maxLength) {
            throw bad(field, "is longer than " + maxLength + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw bad(field, "holds a lone UTF-16 surrogate at index " + i);
            }
            if (Character.isLowSurrogate(c)) {
                throw bad(field, "holds a lone UTF-16 surrogate at index " + i);
            }
            if (c == 0) {
                throw bad(field, "holds a NUL character at index " + i);
            }
            if (Character.isISOControl(c)) {
                throw bad(field, "holds a control character (U+" + hex(c) + ") at index " + i);
            }
            if (isBidiControl(c)) {
                throw bad(field, "holds a bidirectional control character (U+" + hex(c) + ") at index " + i);
            }
        }
        return value;
    }

    static void requirePairedSurrogates(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length()
                && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw bad(field, "holds a lone UTF-16 surrogate at index " + i);
            }
        }
    }

    /** U+061C, U+200E/F, U+202A..E, U+2066..9: the characters that reorder text (Trojan Source, CVE-2021-42574). */
    static boolean isBidiControl(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
            || (c >= '\u2066' && c <= '\u2069');
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }

    private static ApiException bad(String field, String why) {
        return new ApiException(ErrorCode.INVALID_INPUT, "'" + field + "' " + why);
    }
}

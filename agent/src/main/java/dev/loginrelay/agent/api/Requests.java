package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Parses request bodies: one JSON object, known fields, string values; 4xx naming the problem otherwise. */
final class Requests {
    private Requests() {
    }

    static JsonObject body(RoutingContext ctx, String... allowed) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as Content-Type: application/json");
        }
        JsonObject json;
        try {
            String text = ctx.body().asString();
            if (text == null || text.isBlank()) {
                throw new ApiException(ErrorCode.MALFORMED_JSON, "the request body is empty; a JSON object is needed");
            }
            json = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "the request body is not a JSON object");
        }
        for (String field : json.fieldNames()) {
            if (!java.util.Arrays.asList(allowed).contains(field)) {
                throw new ApiException(ErrorCode.BAD_REQUEST, "unknown field '" + field + "'; allowed: "
                    + String.join(", ", allowed));
            }
        }
        return json;
    }

    /**
     * A string the run checks itself (a callback URL, a code): type and length only here, so its refusal carries the
     * specific reason ({@code INVALID_CODE}, {@code INVALID_CALLBACK}) and is an event of the run.
     */
    static String userStep(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (!(v instanceof String s)) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' is required and must be a string");
        }
        if (s.length() > MAX_STRING) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' is longer than " + MAX_STRING
                + " characters");
        }
        return s;
    }

    static String string(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' is required");
        }
        if (!(v instanceof String s)) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' must be a string");
        }
        if (s.length() > MAX_STRING) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' is longer than " + MAX_STRING
                + " characters");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
            if (pair) {
                i++;
            } else if (Character.isSurrogate(c) || Character.isISOControl(c) || isBidiControl(c)) {
                // Never the value itself: it may be a code.
                throw new ApiException(ErrorCode.BAD_REQUEST, "field '" + field + "' holds a control, bidirectional "
                    + "or lone surrogate character (U+" + String.format("%04X", (int) c) + ") at index " + i);
            }
        }
        return s;
    }

    private static final int MAX_STRING = 8192;

    private static boolean isBidiControl(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
            || (c >= '\u2066' && c <= '\u2069');
    }

    static long longParam(RoutingContext ctx, String name, long def, long min, long max) {
        String v = ctx.request().getParam(name);
        if (v == null || v.isEmpty()) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                throw new ApiException(ErrorCode.BAD_REQUEST, name + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiException(ErrorCode.BAD_REQUEST, name + " must be an integer");
        }
    }
}

package dev.loginrelay.controller.api;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;

/** Request parsing: one JSON object with known fields, typed values, ids and query parameters; 4xx otherwise. */
final class Requests {
    private Requests() {
    }

    static JsonObject body(RoutingContext ctx, String... allowed) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as Content-Type: application/json");
        }
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "the request body is empty; a JSON object is needed");
        }
        JsonObject json;
        try {
            json = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "the request body is not a JSON object");
        }
        for (String f : json.fieldNames()) {
            if (!Arrays.asList(allowed).contains(f)) {
                throw new ApiException(ErrorCode.INVALID_INPUT, "unknown field '" + f + "'; allowed: "
                    + String.join(", ", allowed));
            }
        }
        return json;
    }

    static String string(JsonObject json, String field, int maxLength) {
        Object v = json.getValue(field);
        if (v == null) {
            throw new ApiException(ErrorCode.INVALID_INPUT, "field '" + field + "' is required");
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ApiException(ErrorCode.INVALID_INPUT, "field '" + field + "' must be a non-empty string");
        }
        return InputText.check(field, s, maxLength);
    }

    /**
     * The user's step (a callback URL, a code): type and length only, because the agent checks the content against
     * this login and refuses with the specific reason ({@code INVALID_CALLBACK}, {@code INVALID_CODE}...) as an event
     * of the session's timeline. It never reaches SQL.
     */
    static String userStep(JsonObject json, String field, int maxLength) {
        Object v = json.getValue(field);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new ApiException(ErrorCode.INVALID_INPUT, "field '" + field + "' must be a non-empty string");
        }
        if (s.length() > maxLength) {
            throw new ApiException(ErrorCode.INVALID_INPUT, "field '" + field + "' is longer than " + maxLength
                + " characters");
        }
        InputText.requirePairedSurrogates(field, s); // a lone one cannot even be encoded for the agent
        return s;
    }

    /** A query parameter checked like a body field; null when absent or empty. */
    static String query(RoutingContext ctx, String name, int maxLength) {
        String v = ctx.request().getParam(name);
        return v == null || v.isEmpty() ? null : InputText.check(name, v, maxLength);
    }

    /** A header checked like a body field; null when absent. */
    static String header(RoutingContext ctx, String name, int maxLength) {
        String v = ctx.request().getHeader(name);
        return v == null ? null : InputText.check(name, v, maxLength);
    }

    static UUID id(RoutingContext ctx) {
        String raw = ctx.pathParam("id");
        try {
            return UUID.fromString(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ErrorCode.SESSION_NOT_FOUND, "no session '" + (raw.length() > 40
                ? raw.substring(0, 40) + "…" : raw) + "' (session ids are UUIDs)");
        }
    }

    static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
        String v = query(ctx, name, 12);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new ApiException(ErrorCode.INVALID_INPUT, name + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiException(ErrorCode.INVALID_INPUT, name + " must be an integer");
        }
    }
}

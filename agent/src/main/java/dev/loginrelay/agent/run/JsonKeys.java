package dev.loginrelay.agent.run;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The part of a JSON object file that a credential entry with {@code keys} names (Claude's {@code oauthAccount} in
 * {@code ~/.claude.json}): taken out of the CLI's file, merged into the user's file, removed from it. Every other key
 * of the file is left as it was, in its order. Pure: text in, text out.
 */
final class JsonKeys {
    private JsonKeys() {
    }

    /** The object in {@code text}, or null when it is not a JSON object. */
    static JsonObject object(String text) {
        try {
            return new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    /** Only the named keys that {@code doc} has, in the order of {@code keys}. */
    static JsonObject part(JsonObject doc, List<String> keys) {
        JsonObject part = new JsonObject();
        for (String k : keys) {
            if (doc.containsKey(k)) {
                part.put(k, copy(doc.getValue(k)));
            }
        }
        return part;
    }

    /** {@code doc} with each key of {@code part} set to the part's value (replaced when there); the rest kept. */
    static JsonObject merged(JsonObject doc, JsonObject part) {
        JsonObject out = doc.copy();
        for (String k : part.fieldNames()) {
            out.put(k, copy(part.getValue(k)));
        }
        return out;
    }

    /** {@code doc} without the named keys; null when it has none of them (nothing to change). */
    static JsonObject without(JsonObject doc, List<String> keys) {
        if (keys.stream().noneMatch(doc::containsKey)) {
            return null;
        }
        JsonObject out = doc.copy();
        keys.forEach(out::remove);
        return out;
    }

    /** How a changed file is written: indented, with a final newline. */
    static String text(JsonObject doc) {
        return doc.encodePrettily() + "\n";
    }

    private static Object copy(Object v) {
        if (v instanceof JsonObject o) {
            return o.copy();
        }
        return v instanceof io.vertx.core.json.JsonArray a ? a.copy() : v;
    }
}

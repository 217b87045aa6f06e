package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads the non-secret account identity (email, plan) a CLI saved: from its credential JSON (whole-line {@code //}
 * comments allowed), from the claims of a JWT inside it (codex's id_token; the signature is not checked, the CLI
 * already trusted its issuer), or from the verify command's JSON output. Only the fields the spec names are returned, and only as short strings, so a token
 * can never ride along.
 */
final class IdentityReader {
    private static final int MAX_FIELD = 200;

    private IdentityReader() {
    }

    static JsonObject read(ProviderSpec.Identity identity, Path home, String verifyOutput) {
        JsonObject out = new JsonObject();
        try {
            JsonObject doc = identity.source().equals("file")
                ? new JsonObject(withoutCommentLines(Files.readString(home.resolve(identity.file()),
                    StandardCharsets.UTF_8)))
                : new JsonObject(jsonPart(verifyOutput));
            if (identity.jwtPointer() != null) {
                doc = jwtClaims(String.valueOf(JsonPointer.from(identity.jwtPointer()).queryJson(doc)));
            }
            for (Map.Entry<String, String> f : identity.fields().entrySet()) {
                Object v = JsonPointer.from(f.getValue()).queryJson(doc);
                if (v instanceof String s && !s.isBlank() && s.length() <= MAX_FIELD && !s.startsWith("eyJ")) {
                    out.put(f.getKey(), s);
                }
            }
        } catch (Exception e) {
            // Identity is informative; a login whose credentials verified is ready even if it cannot be read.
            out.put("unavailable", "identity not readable: " + e.getClass().getSimpleName());
        }
        return out;
    }

    /**
     * Drops whole lines that start with {@code //} (copilot's config.json opens with two). Safe for JSON: a string
     * cannot span lines, so such a line is never inside a value.
     */
    static String withoutCommentLines(String text) {
        return text.lines().filter(l -> !l.stripLeading().startsWith("//")).collect(Collectors.joining("\n"));
    }

    private static String jsonPart(String output) {
        if (output == null) {
            throw new IllegalArgumentException("no verify output");
        }
        int start = output.indexOf('{');
        int end = output.lastIndexOf('}');
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("verify output holds no JSON object");
        }
        return output.substring(start, end + 1);
    }

    static JsonObject jwtClaims(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            throw new IllegalArgumentException("not a JWT");
        }
        byte[] payload = Base64.getUrlDecoder().decode(parts[1]);
        return new JsonObject(new String(payload, StandardCharsets.UTF_8));
    }
}

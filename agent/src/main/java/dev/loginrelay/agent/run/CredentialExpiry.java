package dev.loginrelay.agent.run;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * When the credentials a CLI wrote stop working without a refresh, where the files say so: Claude's
 * {@code claudeAiOauth.expiresAt} and Gemini's {@code expiry_date} (epoch ms), or the {@code exp} claim of codex's
 * access token (epoch s). Null when none is found; the files are the only input and nothing of them is kept.
 */
final class CredentialExpiry {
    private CredentialExpiry() {
    }

    static Instant of(JsonArray wireFiles) {
        Instant earliest = null;
        for (int i = 0; i < wireFiles.size(); i++) {
            Instant e = ofFile(wireFiles.getJsonObject(i).getString("content"));
            if (e != null && (earliest == null || e.isBefore(earliest))) {
                earliest = e;
            }
        }
        return earliest;
    }

    private static Instant ofFile(String base64) {
        JsonObject doc;
        try {
            doc = new JsonObject(new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return null; // not a JSON object: nothing to read
        }
        Long ms = number(doc.getJsonObject("claudeAiOauth", new JsonObject()).getValue("expiresAt"));
        if (ms == null) {
            ms = number(doc.getValue("expiry_date"));
        }
        if (ms != null) {
            return Instant.ofEpochMilli(ms);
        }
        Object tokens = doc.getValue("tokens");
        if (tokens instanceof JsonObject t && t.getValue("access_token") instanceof String jwt) {
            Long exp = jwtExp(jwt);
            return exp == null ? null : Instant.ofEpochSecond(exp);
        }
        return null;
    }

    private static Long jwtExp(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]),
                StandardCharsets.UTF_8));
            return number(claims.getValue("exp"));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Long number(Object v) {
        return v instanceof Number n ? n.longValue() : null;
    }
}

package dev.loginrelay.agent.testing.fakes;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** Random token values, unsigned JWTs and the little JSON and form handling the fake issuers need (JDK only). */
public final class FakeTokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private FakeTokens() {
    }

    /** {@code bytes} random bytes, base64url without padding: unique per test, so redaction checks can look for it. */
    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static int randomInt(int bound) {
        return RANDOM.nextInt(bound);
    }

    /** An unsigned JWT ({@code alg: none}) with a non-empty fake signature: codex rejects an empty third part. */
    static String jwt(String claimsJson) {
        return b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claimsJson) + "." + b64("fake-signature");
    }

    /** A JSON string literal. */
    public static String q(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** An {@code application/x-www-form-urlencoded} body as a map (last value wins). */
    static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** True when an Authorization header carries exactly this bearer token (the scheme is case-insensitive). */
    static boolean isBearer(String header, String token) {
        return header != null && header.length() > 7 && header.regionMatches(true, 0, "Bearer ", 0, 7)
            && header.substring(7).equals(token);
    }

    static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}

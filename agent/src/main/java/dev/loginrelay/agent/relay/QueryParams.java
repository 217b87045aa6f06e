package dev.loginrelay.agent.relay;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A decoded view of a raw query string; keeps the order and repeated keys. */
final class QueryParams {
    private final List<Map.Entry<String, String>> pairs;

    private QueryParams(List<Map.Entry<String, String>> pairs) {
        this.pairs = pairs;
    }

    static QueryParams of(String rawQuery) {
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String part : rawQuery.split("&")) {
                int eq = part.indexOf('=');
                String k = eq < 0 ? part : part.substring(0, eq);
                String v = eq < 0 ? "" : part.substring(eq + 1);
                pairs.add(Map.entry(decode(k), decode(v)));
            }
        }
        return new QueryParams(pairs);
    }

    int count(String key) {
        int n = 0;
        for (Map.Entry<String, String> e : pairs) {
            if (e.getKey().equals(key)) {
                n++;
            }
        }
        return n;
    }

    String first(String key) {
        for (Map.Entry<String, String> e : pairs) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}

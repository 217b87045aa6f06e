package dev.loginrelay.agent.testing;

import dev.loginrelay.agent.testing.fakes.FakeTokens;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One line of {@code target/compatibility/<module>.jsonl}: which test proved (or failed to prove) which provider's
 * flow with which installed CLI version, and when. Written and read with the JDK alone (a flat JSON object of
 * strings), so {@link CompatibilityTable} runs from {@code scripts/compat-table.sh} with only the test classes.
 */
record CompatRecord(String provider, String cliPackage, String version, String flow, String via, String test,
                    String result, String at) {
    static final String PASS = "PASS";
    static final String FAIL = "FAIL";
    private static final List<String> KEYS =
        List.of("provider", "package", "version", "flow", "via", "test", "result", "at");

    CompatRecord {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(cliPackage, "cliPackage");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(flow, "flow");
        Objects.requireNonNull(via, "via");
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(at, "at");
    }

    boolean passed() {
        return PASS.equals(result);
    }

    /** The same test of the same flow: a later record replaces an earlier one. */
    String key() {
        return String.join("\u0000", via, provider, flow, test);
    }

    String toJson() {
        List<String> values = List.of(provider, cliPackage, version, flow, via, test, result, at);
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < KEYS.size(); i++) {
            out.append(i == 0 ? "" : ",").append(FakeTokens.q(KEYS.get(i))).append(':')
                .append(FakeTokens.q(values.get(i)));
        }
        return out.append('}').toString();
    }

    /** Parses a line {@link #toJson} wrote; throws {@link IllegalArgumentException} on anything else. */
    static CompatRecord parse(String line) {
        Map<String, String> m = flatJson(line.strip());
        for (String k : KEYS) {
            if (!m.containsKey(k)) {
                throw new IllegalArgumentException("compatibility record without '" + k + "': " + line);
            }
        }
        return new CompatRecord(m.get("provider"), m.get("package"), m.get("version"), m.get("flow"), m.get("via"),
            m.get("test"), m.get("result"), m.get("at"));
    }

    /** A JSON object whose values are all strings. */
    private static Map<String, String> flatJson(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int[] pos = {0};
        expect(s, pos, '{');
        skipSpace(s, pos);
        if (peek(s, pos) == '}') {
            return out;
        }
        while (true) {
            String key = string(s, pos);
            expect(s, pos, ':');
            out.put(key, string(s, pos));
            skipSpace(s, pos);
            char c = peek(s, pos);
            pos[0]++;
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                throw new IllegalArgumentException("expected , or } at " + (pos[0] - 1) + " in " + s);
            }
        }
    }

    private static String string(String s, int[] pos) {
        expect(s, pos, '"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek(s, pos);
            pos[0]++;
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = peek(s, pos);
            pos[0]++;
            switch (e) {
                case 'u':
                    out.append((char) Integer.parseInt(s.substring(pos[0], pos[0] + 4), 16));
                    pos[0] += 4;
                    break;
                case 'n':
                    out.append('\n');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                default:
                    out.append(e);
            }
        }
    }

    private static void expect(String s, int[] pos, char c) {
        skipSpace(s, pos);
        if (peek(s, pos) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + pos[0] + " in " + s);
        }
        pos[0]++;
    }

    private static char peek(String s, int[] pos) {
        if (pos[0] >= s.length()) {
            throw new IllegalArgumentException("unexpected end of " + s);
        }
        return s.charAt(pos[0]);
    }

    private static void skipSpace(String s, int[] pos) {
        while (pos[0] < s.length() && Character.isWhitespace(s.charAt(pos[0]))) {
            pos[0]++;
        }
    }
}

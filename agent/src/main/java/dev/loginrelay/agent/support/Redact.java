package dev.loginrelay.agent.support;

import java.net.URI;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets in text before it reaches a log line, an event or an error body (HikariCP
 * {@code maskPasswordInJdbcUrl}, applied to OAuth). {@link #url} keeps scheme, host and path; {@link #text} masks
 * token-shaped values and sensitive {@code key=value} pairs inside free text such as a CLI's error message.
 */
public final class Redact {
    public static final String MASK = "<redacted>";

    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");
    private static final Pattern API_KEY = Pattern.compile("\\b(?:sk|rk|pk|sess|ghp|gho|ya29)[-_.][A-Za-z0-9_\\-.]{8,}");
    private static final Pattern SENSITIVE_PAIR = Pattern.compile(
        "(?i)\\b(code|state|token|access_token|id_token|refresh_token|code_verifier|api[_-]?key|password|secret"
            + "|authorization_code|device_auth_id|client_secret)([\"']?\\s*[=:]\\s*[\"']?)([^\\s&\"',;}]+)");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]+");
    private static final Pattern QUERY = Pattern.compile("(https?://[^\\s?#\"']+)\\?[^\\s\"'<>]*");

    private Redact() {
    }

    /** Scheme, host, port and path of a URL; every query value masked. Never throws. */
    public static String url(String url) {
        if (url == null) {
            return "null";
        }
        try {
            URI u = new URI(url);
            String base = (u.getScheme() == null ? "" : u.getScheme() + "://")
                + (u.getRawAuthority() == null ? "" : u.getRawAuthority())
                + (u.getRawPath() == null ? "" : u.getRawPath());
            String query = u.getRawQuery();
            if (query == null || query.isEmpty()) {
                return base;
            }
            StringBuilder sb = new StringBuilder(base).append('?');
            String[] pairs = query.split("&");
            for (int i = 0; i < pairs.length; i++) {
                int eq = pairs[i].indexOf('=');
                sb.append(i == 0 ? "" : "&").append(eq < 0 ? pairs[i] : pairs[i].substring(0, eq)).append('=')
                    .append(MASK);
            }
            return sb.toString();
        } catch (Exception e) {
            return "<unparseable url>";
        }
    }

    /** Free text (e.g. a CLI's error line) with JWTs, API keys, bearer tokens and sensitive pairs masked. */
    public static String text(String text) {
        if (text == null) {
            return null;
        }
        String out = JWT.matcher(text).replaceAll(MASK);
        out = API_KEY.matcher(out).replaceAll(MASK);
        out = BEARER.matcher(out).replaceAll("$1" + MASK);
        out = SENSITIVE_PAIR.matcher(out).replaceAll("$1$2" + MASK);
        Matcher m = QUERY.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(url(m.group())));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** {@link #text} plus every known secret of this run (submitted codes, issued tokens) replaced verbatim. */
    public static String text(String text, Collection<String> knownSecrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String s : knownSecrets) {
            if (s != null && s.length() >= 4) {
                out = out.replace(s, MASK);
            }
        }
        return text(out);
    }
}

package dev.loginrelay.controller.vm.fixed;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An agent on a VM made elsewhere, for {@link FixedVmPool}.
 *
 * @param agentId   a unique id (letters, digits, '.', '_', '-')
 * @param baseUrl   {@code http(s)://host:port}, no trailing slash
 * @param tokenFile the file holding the agent's API token
 * @param capacity  how many sessions it serves at once; 0 = as many as the pool's default allows
 */
public record FixedAgent(String agentId, String baseUrl, Path tokenFile, int capacity) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public FixedAgent(String agentId, String baseUrl, Path tokenFile) {
        this(agentId, baseUrl, tokenFile, 0);
    }

    public FixedAgent {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity cannot be less than 0, not " + capacity);
        }
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(tokenFile, "tokenFile");
        if (!ID.matcher(agentId).matches()) {
            throw new IllegalArgumentException("agentId must be 1-64 letters, digits, '.', '_' or '-', not '"
                + agentId + "'");
        }
        while (baseUrl.endsWith("/")) {
            baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
        }
        host(baseUrl); // validates
    }

    /** The URL's host: the VM's address. */
    public String host() {
        return host(baseUrl);
    }

    /**
     * Parses {@code id=url=tokenfile,id2=url2=tokenfile2} or a JSON array
     * {@code [{"agentId","baseUrl","tokenFile","capacity"}]} ({@code capacity} optional). Fails with an {@link IllegalArgumentException} naming the bad
     * entry (its position and text; entries hold paths, never tokens).
     */
    public static List<FixedAgent> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no static agents given (expected id=url=tokenfile,...)");
        }
        List<FixedAgent> agents = spec.strip().startsWith("[") ? fromJson(spec) : fromList(spec);
        Set<String> ids = new HashSet<>();
        for (FixedAgent a : agents) {
            if (!ids.add(a.agentId())) {
                throw new IllegalArgumentException("static agent id '" + a.agentId() + "' appears twice");
            }
        }
        return List.copyOf(agents);
    }

    private static List<FixedAgent> fromList(String spec) {
        List<FixedAgent> out = new ArrayList<>();
        String[] entries = spec.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i].strip();
            int first = e.indexOf('=');
            int last = e.lastIndexOf('=');
            if (first <= 0 || last == first || last == e.length() - 1) {
                throw new IllegalArgumentException("static agent entry " + (i + 1) + " ('" + e
                    + "') must look like id=url=tokenfile");
            }
            out.add(entry(i, e, e.substring(0, first).strip(), e.substring(first + 1, last).strip(),
                e.substring(last + 1).strip(), 0));
        }
        return out;
    }

    private static List<FixedAgent> fromJson(String spec) {
        JsonArray a;
        try {
            a = new JsonArray(spec);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("static agents JSON is not a valid array: " + e.getMessage(), e);
        }
        List<FixedAgent> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof JsonObject o)) {
                throw new IllegalArgumentException("static agent entry " + (i + 1) + " is not a JSON object");
            }
            Object capacity = o.getValue("capacity", 0);
            if (!(capacity instanceof Integer)) {
                throw new IllegalArgumentException("static agent entry " + (i + 1) + ": capacity must be a whole "
                    + "number of sessions, not " + capacity);
            }
            out.add(entry(i, o.encode(), o.getString("agentId"), o.getString("baseUrl"), o.getString("tokenFile"),
                (Integer) capacity));
        }
        return out;
    }

    private static FixedAgent entry(int i, String text, String id, String url, String tokenFile, int capacity) {
        try {
            if (tokenFile == null || tokenFile.isBlank()) {
                throw new IllegalArgumentException("tokenFile is missing");
            }
            return new FixedAgent(id, url, Path.of(tokenFile), capacity);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("static agent entry " + (i + 1) + " ('"
                + text.replaceAll("//[^/@]*@", "//<masked>@") + "'): " + e.getMessage(), e);
        }
    }

    private static String host(String url) {
        try {
            URI u = new URI(url);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("baseUrl must be http(s)://host[:port], not '" + url + "'");
            }
            if (u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                throw new IllegalArgumentException("baseUrl must not carry user info, a query or a fragment");
            }
            return u.getHost();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("baseUrl '" + url + "' is not a URL: " + e.getReason(), e);
        }
    }
}

package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.support.SecretFiles;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A user's workspace: an agent that stays in that user's VM, started with {@code --workspace-home}, into whose HOME
 * credentials are installed. It belongs to exactly one user; installs for anyone else are refused.
 *
 * @param id        the workspace id the API names
 * @param userId    the one user whose credentials may go there
 * @param baseUrl   the workspace agent's {@code http://host:port}
 * @param tokenFile the file holding that agent's API token
 */
public record Workspace(String id, String userId, String baseUrl, Path tokenFile) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public Workspace {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(tokenFile, "tokenFile");
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a workspace id is 1-64 letters, digits, '.', '_' or '-', not '" + id
                + "'");
        }
        URI u = URI.create(Objects.requireNonNull(baseUrl, "baseUrl"));
        if (u.getHost() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
            throw new IllegalArgumentException("workspace " + id + ": '" + baseUrl + "' is not an http(s) URL");
        }
    }

    /** The agent to call; reads its token file (blocking). */
    AgentHandle handle() {
        return new AgentHandle("workspace-" + id, baseUrl, SecretFiles.read(tokenFile), "workspace-" + id,
            URI.create(baseUrl).getHost());
    }

    /**
     * Parses {@code LOGINRELAY_WORKSPACES}: {@code id=userId=url=tokenfile,...}. Fails naming the entry (entries hold
     * paths, never tokens).
     */
    public static List<Workspace> parse(String spec) {
        List<Workspace> out = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        Set<String> ids = new HashSet<>();
        String[] entries = spec.split(",");
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i].strip();
            int a = e.indexOf('=');
            int b = a < 0 ? -1 : e.indexOf('=', a + 1);
            int c = e.lastIndexOf('=');
            if (a <= 0 || b <= a + 1 || c <= b + 1 || c == e.length() - 1) {
                throw new IllegalArgumentException("LOGINRELAY_WORKSPACES entry " + (i + 1) + " ('" + e
                    + "') must look like id=userId=http://host:port=/path/to/tokenfile");
            }
            Workspace w = new Workspace(e.substring(0, a), e.substring(a + 1, b), e.substring(b + 1, c),
                Path.of(e.substring(c + 1)));
            if (!ids.add(w.id())) {
                throw new IllegalArgumentException("LOGINRELAY_WORKSPACES names workspace " + w.id() + " twice");
            }
            out.add(w);
        }
        return out;
    }
}

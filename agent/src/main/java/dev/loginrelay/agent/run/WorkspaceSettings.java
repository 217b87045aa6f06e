package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings an installed login needs in a workspace HOME: the spec's seed files marked {@code "workspace": true}
 * (Gemini's {@code security.auth.selectedType}: without it the user's gemini asks how to sign in, or exits 41 when
 * run with {@code -p}, although its tokens are there). They belong to the user, so they are merged, never replaced:
 * a missing file is written; in an existing JSON object only the keys it lacks are added, the user's values stay;
 * a file that is not a JSON object is left as it is. Removal leaves them. Blocking.
 */
final class WorkspaceSettings {
    private WorkspaceSettings() {
    }

    /** Applies the spec's workspace settings under {@code home}; the number of files written or changed. */
    static int apply(Path home, ProviderSpec spec) throws IOException {
        int changed = 0;
        for (ProviderSpec.SeedFile f : spec.files()) {
            if (!f.workspace()) {
                continue;
            }
            Path target = CredentialFiles.inside(home, f.path());
            String merged = Files.isRegularFile(target)
                ? merged(Files.readString(target, StandardCharsets.UTF_8), f.content())
                : f.content();
            if (merged != null) {
                CredentialFiles.writeAtomically(target, merged.getBytes(StandardCharsets.UTF_8));
                changed++;
            }
        }
        return changed;
    }

    /** The user's file with the defaults' missing keys added; null when nothing changes or it is not a JSON object. */
    static String merged(String user, String defaults) {
        JsonObject mine;
        JsonObject wanted;
        try {
            mine = new JsonObject(user);
            wanted = new JsonObject(defaults);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
        return addMissing(mine, wanted) ? mine.encodePrettily() + "\n" : null;
    }

    private static boolean addMissing(JsonObject target, JsonObject defaults) {
        boolean changed = false;
        for (Map.Entry<String, Object> e : defaults) {
            Object mine = target.getValue(e.getKey());
            if (mine == null && !target.containsKey(e.getKey())) {
                target.put(e.getKey(), e.getValue() instanceof JsonObject o ? o.copy() : e.getValue());
                changed = true;
            } else if (mine instanceof JsonObject m && e.getValue() instanceof JsonObject d) {
                changed |= addMissing(m, d);
            }
        }
        return changed;
    }
}

package dev.loginrelay.controller.vm;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The providers' catalog as {@link VmPool#providers()} gives it, made from an agent's self-check (its
 * {@code doctor} JSON): each provider with {@code available} (supported, CLI found, PTY opens) and the
 * {@code reason} when not.
 */
public final class CliCatalog {
    private static final List<String> KEPT = List.of("name", "displayName", "supported", "found", "relay", "expects",
        "version", "testedVersion", "versionMatches");

    private CliCatalog() {
    }

    /** {@code {"providers":[...]}} from a doctor report. */
    public static JsonObject fromDoctor(JsonObject doctor) {
        JsonObject pty = doctor.getJsonObject("pty", new JsonObject().put("ok", true));
        boolean ptyOk = pty.getBoolean("ok", false);
        JsonArray out = new JsonArray();
        for (Object o : doctor.getJsonArray("providers", new JsonArray())) {
            JsonObject p = (JsonObject) o;
            JsonObject v = new JsonObject();
            KEPT.forEach(k -> {
                if (p.containsKey(k)) {
                    v.put(k, p.getValue(k));
                }
            });
            boolean supported = p.getBoolean("supported", false);
            boolean found = p.getBoolean("found", false);
            String reason = !supported ? p.getString("reason", "not supported")
                : !found ? p.getString("error", "its CLI is not installed on the agents")
                : !ptyOk ? "the agents cannot open a terminal: " + pty.getString("error", "PTY check failed")
                : null;
            out.add(v.put("available", reason == null).put("reason", reason));
        }
        return new JsonObject().put("providers", out);
    }
}

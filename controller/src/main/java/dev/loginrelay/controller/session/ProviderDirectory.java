package dev.loginrelay.controller.session;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The providers the agents can run, from their self-check: name, display name, what the user hands back, and whether
 * it is available (supported and its CLI installed) or why not. Immutable; replaced as a whole when refreshed.
 */
public final class ProviderDirectory {
    private final Map<String, JsonObject> byName;
    private final java.util.List<String> order;

    public ProviderDirectory(JsonObject doctor) {
        Map<String, JsonObject> m = new LinkedHashMap<>();
        for (Object o : doctor.getJsonArray("providers", new JsonArray())) {
            JsonObject p = (JsonObject) o;
            boolean available = p.getBoolean("available",
                p.getBoolean("supported", false) && p.getBoolean("found", false));
            String reason = available ? null : p.getString("reason", p.getString("error",
                "its CLI is not installed on the agents"));
            m.put(p.getString("name"), new JsonObject().put("name", p.getString("name"))
                .put("displayName", p.getString("displayName", p.getString("name")))
                .put("expects", p.getString("expects")).put("available", available).put("reason", reason)
                .put("version", p.getString("version")));
        }
        this.byName = Map.copyOf(m);
        this.order = java.util.List.copyOf(m.keySet());
    }

    /** Fails with a 4xx naming the problem unless {@code name} is a provider the agents can run. */
    public void requireAvailable(String name) {
        JsonObject p = byName.get(name);
        if (p == null) {
            throw new ApiException(ErrorCode.PROVIDER_UNKNOWN, "unknown provider '" + name + "'; known: "
                + String.join(", ", order));
        }
        if (!p.getBoolean("available")) {
            throw new ApiException(ErrorCode.PROVIDER_UNAVAILABLE, "provider " + name + " is not available: "
                + p.getString("reason"));
        }
    }

    public JsonArray toJson() {
        JsonArray a = new JsonArray();
        order.forEach(n -> a.add(byName.get(n).copy()));
        return a;
    }
}

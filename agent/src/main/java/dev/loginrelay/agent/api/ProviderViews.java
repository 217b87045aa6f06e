package dev.loginrelay.agent.api;

import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.json.JsonObject;

/** What a client needs to know of a provider: no patterns, no environment. */
final class ProviderViews {
    private ProviderViews() {
    }

    static JsonObject of(ProviderSpec p) {
        JsonObject v = new JsonObject().put("name", p.name()).put("displayName", p.displayName())
            .put("supported", p.supported()).put("testedVersion", p.testedVersion());
        if (!p.supported()) {
            return v.put("unsupportedReason", p.unsupportedReason());
        }
        return v.put("relay", p.relay().wireName()).put("expects", p.relay().expects())
            .put("exclusive", p.exclusive())
            .put("timeouts", new JsonObject().put("startSeconds", p.timeouts().startSeconds())
                .put("userSeconds", p.timeouts().userSeconds()).put("finishSeconds", p.timeouts().finishSeconds()));
    }
}

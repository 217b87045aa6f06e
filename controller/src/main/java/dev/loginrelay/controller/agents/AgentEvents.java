package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.model.Expects;
import dev.loginrelay.controller.model.UserStep;
import io.vertx.core.json.JsonObject;

/**
 * How an agent's observed run state maps onto the session lifecycle (Nomad: the agent reports observed state; the
 * controller never infers success). Pure functions.
 */
public final class AgentEvents {
    private AgentEvents() {
    }

    /** The user step an event announces (a new auth URL, a device code), or null. */
    public static UserStep userStepOf(AgentEvent event) {
        JsonObject d = event.detail();
        return event.knownKind().map(k -> switch (k) {
            case AUTH_URL_READY -> new UserStep(Expects.fromWire(d.getString("expects", "none")),
                d.getString("authUrl"), null, null);
            case DEVICE_CODE_READY -> new UserStep(Expects.NONE, null, d.getString("verificationUrl"),
                d.getString("userCode"));
            default -> null;
        }).orElse(null);
    }

    /**
     * What of an agent event goes into the timeline: the agent's detail minus the auth URL (it holds the OAuth state;
     * the row keeps it while the user needs it) and the device code.
     */
    public static JsonObject timelineDetail(AgentEvent event) {
        JsonObject d = event.detail().copy();
        if (d.containsKey("authUrl")) {
            d.put("authUrl", redactUrl(d.getString("authUrl")));
        }
        if (d.containsKey("userCode")) {
            d.put("userCode", "<shown to the user>");
        }
        return d.put("agentState", event.state().wireName()).put("agentAt", event.at());
    }

    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?<redacted>";
    }
}

package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.session.Expects;
import dev.loginrelay.controller.session.SessionState;
import dev.loginrelay.controller.session.UserStep;
import io.vertx.core.json.JsonObject;

/**
 * How an agent's observed run state maps onto the session lifecycle (Nomad: the agent reports observed state; the
 * controller never infers success). Pure functions.
 */
final class AgentEvents {
    private AgentEvents() {
    }

    /** The session state an agent run state corresponds to. */
    static SessionState sessionStateOf(String agentState) {
        return switch (agentState) {
            case "queued", "starting" -> SessionState.STARTING;
            case "awaiting_user" -> SessionState.AWAITING_USER;
            case "verifying" -> SessionState.VERIFYING;
            case "ready" -> SessionState.READY;
            case "failed" -> SessionState.FAILED;
            case "timeout" -> SessionState.TIMEOUT;
            case "cancelled" -> SessionState.CANCELLED;
            default -> throw new IllegalArgumentException("unknown agent run state '" + agentState + "'");
        };
    }

    /** The user step an event announces (a new auth URL, a device code), or null. */
    static UserStep userStepOf(JsonObject event) {
        JsonObject d = event.getJsonObject("detail", new JsonObject());
        return switch (event.getString("kind")) {
            case "auth_url_ready" -> new UserStep(Expects.fromWire(d.getString("expects", "none")),
                d.getString("authUrl"), null, null);
            case "device_code_ready" -> new UserStep(Expects.NONE, null, d.getString("verificationUrl"),
                d.getString("userCode"));
            default -> null;
        };
    }

    /**
     * What of an agent event goes into the timeline: the agent's detail minus the auth URL (it holds the OAuth state;
     * the row keeps it while the user needs it) and the device code.
     */
    static JsonObject timelineDetail(JsonObject event) {
        JsonObject d = event.getJsonObject("detail", new JsonObject()).copy();
        if (d.containsKey("authUrl")) {
            d.put("authUrl", redactUrl(d.getString("authUrl")));
        }
        if (d.containsKey("userCode")) {
            d.put("userCode", "<shown to the user>");
        }
        return d.put("agentState", event.getString("state")).put("agentAt", event.getString("at"));
    }

    static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?<redacted>";
    }
}

package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonObject;

/** Settings that keep the real codex on loopback in tests. */
final class RealCodex {
    /** A loopback port nothing listens on: any HTTPS codex tries fails at once, without a DNS lookup. */
    static final String DEAD_PROXY = "http://127.0.0.1:9";

    private RealCodex() {
    }

    static JsonObject offlineEnv() {
        return new JsonObject().put("CODEX_HOME", "${HOME}/.codex").put("HTTPS_PROXY", DEAD_PROXY)
            .put("https_proxy", DEAD_PROXY).put("NO_PROXY", "127.0.0.1,localhost").put("no_proxy", "127.0.0.1,localhost");
    }
}

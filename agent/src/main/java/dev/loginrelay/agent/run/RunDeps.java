package dev.loginrelay.agent.run;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.relay.CallbackRelay;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * What every run shares: the Vert.x context it lives on, the config, the relay client, the diagnostics files and the
 * maker of per-run Unix users.
 */
record RunDeps(Vertx vertx, Context context, AgentConfig config, CallbackRelay relay, DiagnosticsLog diagnostics,
               RunUsers users) {
}

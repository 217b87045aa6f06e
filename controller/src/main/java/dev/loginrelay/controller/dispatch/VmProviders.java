package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.ControllerConfig;
import io.vertx.core.Vertx;

/** Builds the configured {@link VmProvider} ({@code LOGINRELAY_VM_PROVIDER}). */
public final class VmProviders {
    private VmProviders() {
    }

    public static VmProvider create(Vertx vertx, ControllerConfig config) {
        if (config.vmProvider().equals("static")) {
            return new StaticVmProvider(vertx, StaticVmProvider.parse(config.staticAgents()));
        }
        return new LocalVmProvider(vertx, LocalVmConfig.of(config.agentJar(), config.dataDir(), config.cliPath(),
            config.agentProvidersDir()));
    }
}

package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider;
import dev.loginrelay.agent.testing.net.FakeInternet;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each real-CLI test through the intercepting proxy stands on: the leak check, the fake internet (throwaway CA,
 * proxy, identity provider) and an agent with one overlay spec of a shipped provider. Closed in reverse order.
 */
final class MitmRig implements AutoCloseable {
    final LeakCheck leaks;
    final FakeInternet net;
    final AgentFixture agent;

    private MitmRig(LeakCheck leaks, FakeInternet net, AgentFixture agent) {
        this.leaks = leaks;
        this.net = net;
        this.agent = agent;
    }

    /**
     * Starts everything for the pinned CLI {@code cli}: {@code idp} sets up the fake identity provider, {@code spec}
     * makes the agent's overlay spec from the fake internet. What started is closed again if a later step fails.
     */
    static MitmRig start(Path dir, String cli, Consumer<FakeIdentityProvider> idp,
                         Function<FakeInternet, JsonObject> spec) throws Exception {
        assertThat(AgentFixture.cliBin().resolve(cli)).as("run scripts/install-clis.sh").isExecutable();
        LeakCheck leaks = LeakCheck.start();
        FakeInternet net = null;
        try {
            net = FakeInternet.start(dir.resolve("net"));
            idp.accept(net.idp());
            return new MitmRig(leaks, net, new AgentFixture(dir).spec(spec.apply(net)).start());
        } catch (Exception | Error e) {
            if (net != null) {
                net.close();
            }
            leaks.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            agent.close();
        } finally {
            try {
                net.close();
            } finally {
                leaks.close();
            }
        }
    }
}

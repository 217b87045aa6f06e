package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider;
import dev.loginrelay.agent.testing.net.FakeInternet;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
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

    /**
     * The rig as a JUnit 5 extension for a test class: started before its first test in a temp dir of its own,
     * closed after its last. {@code @RegisterExtension static final MitmRig.Extension RIG = MitmRig.extension(...)}.
     */
    static Extension extension(String cli, Consumer<FakeIdentityProvider> idp,
                               Function<FakeInternet, JsonObject> spec) {
        return new Extension(cli, idp, spec);
    }

    static final class Extension implements BeforeAllCallback, AfterAllCallback {
        private final String cli;
        private final Consumer<FakeIdentityProvider> idp;
        private final Function<FakeInternet, JsonObject> spec;
        private Path dir;
        private MitmRig rig;

        private Extension(String cli, Consumer<FakeIdentityProvider> idp, Function<FakeInternet, JsonObject> spec) {
            this.cli = cli;
            this.idp = idp;
            this.spec = spec;
        }

        @Override
        public void beforeAll(ExtensionContext context) throws Exception {
            dir = Files.createTempDirectory("mitm-" + cli);
            rig = MitmRig.start(dir, cli, idp, spec);
        }

        @Override
        public void afterAll(ExtensionContext context) throws Exception {
            try {
                if (rig != null) {
                    rig.close();
                }
            } finally {
                deleteTree(dir);
            }
        }

        FakeInternet net() {
            return rig.net;
        }

        AgentFixture agent() {
            return rig.agent;
        }

        LeakCheck leaks() {
            return rig.leaks;
        }

        private static void deleteTree(Path root) throws java.io.IOException {
            if (root == null || !Files.exists(root)) {
                return;
            }
            try (java.util.stream.Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
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

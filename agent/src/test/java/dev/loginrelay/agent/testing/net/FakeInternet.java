package dev.loginrelay.agent.testing.net;

import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything a real CLI needs to log in offline, on 127.0.0.1 only: a throwaway {@link TestCa}, a
 * {@link FakeIdentityProvider} and the {@link MitmProxy} in front of it, plus the test-only spec overlays that point a
 * shipped provider at them. An overlay {@code extends} the shipped spec and adds only environment (objects merge key
 * by key), so the shipped command, patterns, relay and success rules are what the test exercises and the production
 * specs stay clean:
 * <ul>
 *   <li>{@code HTTPS_PROXY}/{@code https_proxy} (and the {@code HTTP_} pair) = the proxy: with a proxy set, the CLIs
 *       never resolve a provider host themselves ({@code NO_PROXY} keeps loopback direct);</li>
 *   <li>the CA each CLI reads: {@code CODEX_CA_CERTIFICATE} for codex (rustls; {@code SSL_CERT_FILE} works too),
 *       {@code NODE_EXTRA_CA_CERTS} for Claude Code, the Gemini CLI and the Copilot CLI (docs/cli-facts.md §1–3,
 *       "Proxy and CA"; docs/cli-copilot.md).</li>
 * </ul>
 * Telemetry, update checks and feature flags are left on, as in production: they go through the proxy and get a
 * quick answer from the fake.
 */
public final class FakeInternet implements AutoCloseable {
    /** The CA variable codex reads. */
    public static final String CODEX_CA = "CODEX_CA_CERTIFICATE";
    /** The CA variable Node-based CLIs (and the Bun-built claude) read. */
    public static final String NODE_CA = "NODE_EXTRA_CA_CERTS";
    private static final String LOOPBACK = "127.0.0.1,localhost";

    private final TestCa ca;
    private final FakeIdentityProvider idp;
    private final MitmProxy proxy;

    private FakeInternet(TestCa ca, FakeIdentityProvider idp, MitmProxy proxy) {
        this.ca = ca;
        this.idp = idp;
        this.proxy = proxy;
    }

    /** Makes the CA in {@code dir} (a temp dir) and starts the identity provider and the proxy. */
    public static FakeInternet start(Path dir) throws IOException {
        TestCa ca = TestCa.create(dir);
        FakeIdentityProvider idp = FakeIdentityProvider.start();
        return new FakeInternet(ca, idp, MitmProxy.start(ca, idp));
    }

    public TestCa ca() {
        return ca;
    }

    public FakeIdentityProvider idp() {
        return idp;
    }

    public MitmProxy proxy() {
        return proxy;
    }

    /** The environment that sends a CLI's HTTPS through the proxy and makes it trust the CA in {@code caVariable}. */
    public JsonObject env(String caVariable) {
        return new JsonObject()
            .put("HTTPS_PROXY", proxy.url()).put("https_proxy", proxy.url())
            .put("HTTP_PROXY", proxy.url()).put("http_proxy", proxy.url())
            .put("NO_PROXY", LOOPBACK).put("no_proxy", LOOPBACK)
            .put(caVariable, ca.caPem().toString());
    }

    /** An operator spec {@code name} that extends the shipped {@code base} and only adds {@link #env}. */
    public JsonObject overlay(String name, String base, String caVariable) {
        return new JsonObject().put("name", name).put("extends", base).put("env", env(caVariable));
    }

    /** {@code codex login} (browser flow) through the proxy. */
    public JsonObject codexOverlay(String name) {
        return overlay(name, "codex", CODEX_CA);
    }

    /** {@code claude auth login} (paste flow) through the proxy. */
    public JsonObject claudeOverlay(String name) {
        return overlay(name, "claude", NODE_CA);
    }

    /**
     * {@code copilot login --device-code} through the proxy. The Copilot CLI's HTTP client is native (Rust) code
     * inside its Node binary; it reads {@code NODE_EXTRA_CA_CERTS} too.
     */
    public JsonObject copilotOverlay(String name) {
        return overlay(name, "copilot", NODE_CA);
    }

    /** The Gemini CLI (paste flow) through the proxy. */
    public JsonObject geminiOverlay(String name) {
        return overlay(name, "gemini", NODE_CA);
    }

    @Override
    public void close() {
        proxy.close();
        idp.close();
    }
}

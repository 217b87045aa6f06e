package dev.loginrelay.agent.run;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;

/**
 * The HOME of a workspace agent ({@code --workspace-home}): the user's own CLI reads its credentials there. Installs
 * write the spec's credential files (0600, atomic rename; a part of a file, such as Claude's {@code oauthAccount}, is
 * merged into the user's file keeping its other keys) and run the spec's verify command in that HOME; removal
 * deletes them (or removes just those keys). A login-only agent (no workspace HOME) refuses both. Calls run one at a
 * time, off the event loop.
 */
public final class WorkspaceHome {
    private static final Logger log = LoggerFactory.getLogger(WorkspaceHome.class);

    private final Vertx vertx;
    private final AgentConfig config;
    private final ProviderCatalog catalog;

    public WorkspaceHome(Vertx vertx, AgentConfig config, ProviderCatalog catalog) {
        this.vertx = vertx;
        this.config = config;
        this.catalog = catalog;
    }

    /**
     * Writes {@code files} (wire form: path, mode, base64 content) into the workspace HOME and verifies them;
     * {@code {installed, verified, exitCode?, code?, message?, account}}. A failed verification leaves the files.
     */
    public Future<JsonObject> install(String provider, JsonArray files) {
        ProviderSpec spec = spec(provider);
        Path home = home();
        return vertx.executeBlocking(() -> {
            int n = CredentialFiles.write(home, files, spec.success().credentialFiles());
            int settings = WorkspaceSettings.apply(home, spec);
            Map<String, String> env = environment(home, spec);
            Verifier.Result r = Verifier.verify(spec, home, env, Instant.EPOCH, config.runPath(),
                spec.timeouts().finishSeconds() * 1000L, java.util.List.of());
            log.info("workspace provider={} installed {} credential files into {} ({} settings files added to); "
                + "verified={}", spec.name(), n, home, settings, r.ok());
            return new JsonObject().put("provider", spec.name()).put("installed", n).put("verified", r.ok())
                .put("code", r.errorCode()).put("message", r.message())
                .put("account", r.account() == null ? new JsonObject() : r.account());
        }, true);
    }

    /**
     * Deletes the spec's credential files from the workspace HOME: {@code {removed: n, files}}, with the files as they
     * were (the CLI may have refreshed them since the install), so the caller can keep the newest copy.
     */
    public Future<JsonObject> remove(String provider) {
        ProviderSpec spec = spec(provider);
        Path home = home();
        return vertx.executeBlocking(() -> {
            JsonArray current = CredentialFiles.readPresent(home, spec.success().credentialFiles());
            int n = CredentialFiles.delete(home, spec.success().credentialFiles());
            log.info("workspace provider={} removed {} credential files from {}", spec.name(), n, home);
            return new JsonObject().put("provider", spec.name()).put("removed", n).put("files", current);
        }, true);
    }

    private ProviderSpec spec(String provider) {
        return catalog.find(provider == null ? "" : provider).orElseThrow(() -> new ApiException(
            ErrorCode.UNKNOWN_PROVIDER, "unknown provider '" + provider + "'"));
    }

    private Path home() {
        if (config.workspaceHome() == null) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE,
                "this agent is not a workspace: start it with --workspace-home to accept installed credentials");
        }
        return config.workspaceHome();
    }

    /** The run environment of the spec in the workspace HOME, with a private TMPDIR under the agent's work dir. */
    private Map<String, String> environment(Path home, ProviderSpec spec) throws java.io.IOException {
        Path tmp = config.workDir().resolve("workspace-tmp");
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = RunHome.environment(config, home, "workspace", spec);
        env.put("TMPDIR", tmp.toString());
        return env;
    }
}

package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.CredentialRecord;
import dev.loginrelay.controller.model.CredentialState;
import dev.loginrelay.controller.store.CredentialStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a record's files into a workspace agent's HOME and takes them out again. Taking them out keeps the newest
 * copy: when the CLI there refreshed its tokens since the install, the refreshed files become the record's next
 * version (the old refresh token may already be void).
 */
final class Placement {
    private static final Logger log = LoggerFactory.getLogger(Placement.class);

    private final Vertx vertx;
    private final CredentialStore store;
    private final AgentClient client;
    private final CredentialConfig config;

    Placement(Vertx vertx, CredentialStore store, AgentClient client, CredentialConfig config) {
        this.vertx = vertx;
        this.store = store;
        this.client = client;
        this.config = config;
    }

    /** Writes the record's files into {@code w} and runs the provider's verify command there. */
    Future<CredentialService.Installed> installInto(CredentialRecord rec, Workspace w) {
        CredentialFiles files = CredentialFiles.open(config.keys(), rec);
        return handle(w.id()).compose(a -> client.installCredentials(a, rec.provider(), files.wire()))
            .recover(e -> store.appendEvent(rec.userId(), rec.provider(), rec.version(), "install_failed", w.id(),
                    null, new JsonObject().put("message", e.getMessage()))
                .transform(x -> Future.failedFuture(e)))
            .compose(r -> {
                boolean verified = r.getBoolean("verified", false);
                JsonObject detail = new JsonObject().put("verified", verified).put("files", files.paths())
                    .put("account", r.getJsonObject("account", new JsonObject()));
                if (!verified) {
                    detail.put("code", r.getString("code")).put("message", r.getString("message"));
                }
                return store.place(rec.userId(), rec.provider(), rec.version(), CredentialState.INSTALLED, w.id(),
                        "installed", detail)
                    .map(o -> new CredentialService.Installed(o.orElseThrow(() -> new ApiException(
                        ErrorCode.CONFLICT, "the credentials of " + rec.userId() + "/" + rec.provider()
                        + " changed during the install; repeat it")), verified, r.getString("message")));
            })
            .onSuccess(i -> log.info("credentials of {}/{} v{} installed into workspace {} (verified={})",
                rec.userId(), rec.provider(), rec.version(), w.id(), i.verified()));
    }

    /**
     * Removes the record's files from {@code workspaceId}; the record becomes {@code held}, as a new version when the
     * files there had changed (refreshed). Fails when the workspace is configured but does not answer: installing
     * elsewhere then would leave two holders of one refresh token.
     */
    Future<CredentialRecord> removeFrom(CredentialRecord rec, String workspaceId) {
        if (!config.workspaces().containsKey(workspaceId)) {
            return store.place(rec.userId(), rec.provider(), rec.version(), CredentialState.HELD, null,
                    "removed", new JsonObject().put("from", workspaceId).put("workspaceRemoved", false)
                        .put("message", "workspace " + workspaceId + " is no longer configured"))
                .map(o -> o.orElse(rec));
        }
        CredentialFiles custody;
        try { // decrypt before touching the workspace: with a wrong master key nothing is removed
            custody = CredentialFiles.open(config.keys(), rec);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return removeFiles(workspaceId, rec.provider())
            .recover(e -> Future.failedFuture(new ApiException(ErrorCode.AGENT_UNAVAILABLE, "could not remove the "
                + "credentials from workspace " + workspaceId + " first (" + e.getMessage() + "); they were not "
                + "installed elsewhere, so two workspaces never hold one refresh token")))
            .compose(pulled -> {
                JsonObject detail = new JsonObject().put("from", workspaceId).put("removedFiles", pulled.count());
                if (pulled.count() == 0 || pulled.sameContentAs(custody)) {
                    return store.place(rec.userId(), rec.provider(), rec.version(), CredentialState.HELD, null,
                        "removed", detail).map(o -> o.orElse(rec));
                }
                Envelope.Sealed s = pulled.seal(config.keys(), rec.userId(), rec.provider());
                return store.put(new CredentialStore.NewEnvelope(rec.userId(), rec.provider(), rec.accountEmail(),
                    rec.accountPlan(), rec.expiresAt(), rec.sourceSession(), s.keyId(), s.wrappedKey(), s.nonce(),
                    s.ciphertext()), false, "removed", detail.put("refreshed", true));
            });
    }

    /** Deletes the provider's files in a workspace; yields them as they were there. */
    Future<CredentialFiles> removeFiles(String workspaceId, String provider) {
        return handle(workspaceId).compose(a -> client.removeCredentials(a, provider))
            .map(r -> CredentialFiles.of(r.getJsonArray("files", new JsonArray())));
    }

    private Future<AgentHandle> handle(String workspaceId) {
        Workspace w = config.workspaces().get(workspaceId);
        if (w == null) {
            return Future.failedFuture(new ApiException(ErrorCode.WORKSPACE_NOT_FOUND, "no workspace '" + workspaceId
                + "' is configured"));
        }
        return vertx.executeBlocking(w::handle, false); // reads the agent's token file
    }
}

package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.dispatch.ReadyHook;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.CredentialRecord;
import dev.loginrelay.controller.model.CredentialState;
import dev.loginrelay.controller.store.CredentialStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Custody of the credentials a ready login produced: captured once from the login's agent before it is released,
 * kept envelope-encrypted, installed into at most one workspace of their user at a time, exported only sealed to the
 * product's public key, revoked on request. Every step is a {@code credential_events} row; no step ever logs,
 * records or answers a file's contents in clear.
 */
public final class CredentialService implements ReadyHook {
    private static final Logger log = LoggerFactory.getLogger(CredentialService.class);

    private final Vertx vertx;
    private final CredentialStore store;
    private final AgentClient client;
    private final CredentialConfig config;
    private final Placement placement;

    public CredentialService(Vertx vertx, CredentialStore store, AgentClient client, CredentialConfig config) {
        this.vertx = vertx;
        this.store = store;
        this.client = client;
        this.config = config;
        this.placement = new Placement(vertx, store, client, config);
    }

    /** An install's outcome: the record as now placed, and what the workspace's verify command said. */
    public record Installed(CredentialRecord record, boolean verified, String message) {
    }

    /** A sealed export: the compact JWE and whom it is for. */
    public record Export(CredentialRecord record, String jwe, String recipient, String algorithm) {
        @Override
        public String toString() {
            return "Export[" + record + " for " + recipient + "]";
        }
    }

    /** Capture: takes the files from a ready session's agent, once, seals and stores them, installs if targeted. */
    @Override
    public Future<Void> beforeRelease(AuthSession s, AgentHandle agent) {
        UUID id = s.sessionId();
        return store.find(s.owner(), s.provider())
            .compose(previous -> client.takeCredentials(agent, id.toString())
                .compose(taken -> seal(s, taken))
                .compose(rec -> afterCapture(s, rec, previous)))
            .onSuccess(v -> log.info("session={} credentials of {}/{} taken into custody", id, s.owner(),
                s.provider()))
            .recover(e -> {
                log.warn("session={} credentials not taken into custody: {}", id, e.getMessage());
                return store.appendEvent(s.owner(), s.provider(), null, "capture_failed", null, id,
                    new JsonObject().put("message", e.getMessage())).recover(x -> Future.succeededFuture());
            });
    }

    private Future<CredentialRecord> seal(AuthSession s, JsonObject taken) {
        CredentialFiles files = CredentialFiles.of(taken.getJsonArray("files", new JsonArray()));
        if (files.count() == 0) {
            return Future.failedFuture(new ApiException(ErrorCode.AGENT_ERROR, "the agent handed over no files"));
        }
        JsonObject account = taken.getJsonObject("account", s.account() == null ? new JsonObject() : s.account());
        String expires = taken.getString("expiresAt");
        Envelope.Sealed sealed = files.seal(config.keys(), s.owner(), s.provider());
        return store.put(new CredentialStore.NewEnvelope(s.owner(), s.provider(), account.getString("email"),
                account.getString("plan"), expires == null ? null : Instant.parse(expires), s.sessionId(),
                sealed.keyId(), sealed.wrappedKey(), sealed.nonce(), sealed.ciphertext()), false, "captured",
            new JsonObject().put("files", files.paths()).put("keyId", sealed.keyId()));
    }

    /**
     * Where the new record goes: the session's named workspace, else where the previous record was installed (a
     * re-login replaces the copy there). An older copy in another workspace is removed first.
     */
    private Future<Void> afterCapture(AuthSession s, CredentialRecord rec, Optional<CredentialRecord> previous) {
        String before = previous.filter(p -> p.state() == CredentialState.INSTALLED).map(CredentialRecord::workspaceId)
            .orElse(null);
        return store.sessionWorkspace(s.sessionId()).compose(named -> {
            String target = named.orElse(before);
            Future<Void> cleared = before == null || before.equals(target) ? Future.succeededFuture()
                : placement.removeFrom(rec, before).mapEmpty();
            return target == null ? cleared : cleared.compose(v -> install(rec.userId(), rec.provider(), target))
                .mapEmpty();
        });
    }

    /**
     * Installs the user's current credentials into {@code workspaceId}, which must be that user's; when they are
     * installed in another workspace they are removed there first (the newest copy is kept), so two holders never
     * refresh the same token.
     */
    public Future<Installed> install(String userId, String provider, String workspaceId) {
        return checkWorkspace(userId, workspaceId).compose(w -> current(userId, provider)
            .map(rec -> {
                CredentialFiles.open(config.keys(), rec); // the master key fits, or nothing moves at all
                return rec;
            })
            .compose(rec -> rec.state() == CredentialState.INSTALLED && !workspaceId.equals(rec.workspaceId())
                ? placement.removeFrom(rec, rec.workspaceId()) : Future.succeededFuture(rec))
            .compose(rec -> placement.installInto(rec, w)));
    }

    /** The workspace, when it exists and belongs to {@code userId}. */
    public Future<Workspace> checkWorkspace(String userId, String workspaceId) {
        Workspace w = config.workspaces().get(workspaceId);
        if (w == null) {
            return Future.failedFuture(new ApiException(ErrorCode.WORKSPACE_NOT_FOUND, "no workspace '" + workspaceId
                + "' is configured (LOGINRELAY_WORKSPACES)"));
        }
        if (!w.userId().equals(userId)) {
            return Future.failedFuture(new ApiException(ErrorCode.WORKSPACE_NOT_YOURS, "workspace '" + workspaceId
                + "' belongs to another user"));
        }
        return Future.succeededFuture(w);
    }

    /** Remembers that a session's login is for {@code workspaceId} (checked to be the user's). */
    public Future<Void> target(UUID sessionId, String userId, String workspaceId) {
        return checkWorkspace(userId, workspaceId).compose(w -> store.setSessionWorkspace(sessionId, w.id()));
    }

    /** The files sealed to the configured recipient; recorded as an {@code exported} event. */
    public Future<Export> export(String userId, String provider) {
        SealedExport export = config.export();
        if (export == null) {
            return Future.failedFuture(new ApiException(ErrorCode.EXPORT_NOT_CONFIGURED,
                "sealed export is off: set LOGINRELAY_EXPORT_RECIPIENT(_FILE) to the product's public JWK"));
        }
        return current(userId, provider).compose(rec -> {
            String jwe = CredentialFiles.open(config.keys(), rec).sealTo(export);
            return store.appendEvent(userId, provider, rec.version(), "exported", null, null, new JsonObject()
                    .put("recipient", export.recipientId()).put("algorithm", export.algorithm()))
                .map(v -> new Export(rec, jwe, export.recipientId(), export.algorithm()));
        });
    }

    /** Removes the credentials from the workspace holding them and from custody (the ciphertext is dropped). */
    public Future<CredentialRecord> revoke(String userId, String provider) {
        return current(userId, provider).compose(rec -> {
            Future<JsonObject> removed = rec.state() != CredentialState.INSTALLED
                ? Future.succeededFuture(new JsonObject())
                : placement.removeFiles(rec.workspaceId(), rec.provider())
                    .map(r -> new JsonObject().put("workspace", rec.workspaceId()).put("removedFiles", r.count()))
                    .recover(e -> Future.succeededFuture(new JsonObject().put("workspace", rec.workspaceId())
                        .put("workspaceRemoved", false).put("message", e.getMessage())));
            return removed.compose(detail -> store.place(userId, provider, rec.version(), CredentialState.REVOKED,
                    null, "revoked", detail))
                .map(o -> o.orElseThrow(() -> new ApiException(ErrorCode.CONFLICT, "the credentials of " + userId
                    + "/" + provider + " changed meanwhile; repeat the revoke")));
        });
    }

    /**
     * Where a session's login went: {@code state} {@code pending} (not captured from this session, yet or at all),
     * {@code held}, {@code installed} or {@code revoked}; {@code workspace} where installed; {@code workspaceTarget}
     * the workspace the session named, while it is not installed there yet.
     */
    public Future<JsonObject> ofSession(AuthSession s) {
        return store.find(s.owner(), s.provider()).compose(o -> store.sessionWorkspace(s.sessionId()).map(target -> {
            boolean mine = o.isPresent() && s.sessionId().equals(o.get().sourceSession());
            JsonObject v = new JsonObject().put("state", mine ? o.get().state().wireName() : "pending");
            if (mine && o.get().workspaceId() != null) {
                v.put("workspace", o.get().workspaceId());
            }
            target.filter(t -> !t.equals(v.getString("workspace")) && !"revoked".equals(v.getString("state")))
                .ifPresent(t -> v.put("workspaceTarget", t));
            return v;
        }));
    }

    /** Metadata of the user's record, revoked ones included. */
    public Future<CredentialRecord> status(String userId, String provider) {
        return store.find(userId, provider).map(o -> o.orElseThrow(() -> notFound(userId, provider)));
    }

    public Future<List<CredentialRecord>> list(int limit) {
        return store.list(limit);
    }

    public Future<JsonArray> events(String userId, String provider) {
        return store.events(userId, provider);
    }

    private Future<CredentialRecord> current(String userId, String provider) {
        return store.find(userId, provider).map(o -> o.filter(CredentialRecord::hasFiles)
            .orElseThrow(() -> notFound(userId, provider)));
    }

    private static ApiException notFound(String userId, String provider) {
        return new ApiException(ErrorCode.CREDENTIALS_NOT_FOUND, "no credentials in custody for " + userId + "/"
            + provider);
    }
}

package dev.loginrelay.controller.api;

import dev.loginrelay.controller.model.CredentialRecord;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** Metadata views of credential records: who, which account, where installed, when. No envelope field, ever. */
final class CredentialViews {
    private CredentialViews() {
    }

    static JsonObject of(CredentialRecord r) {
        return new JsonObject().put("userId", r.userId()).put("provider", r.provider()).put("version", r.version())
            .put("state", r.state().wireName())
            .put("account", new JsonObject().put("email", r.accountEmail()).put("plan", r.accountPlan()))
            .put("workspace", r.workspaceId()).put("installedAt", text(r.installedAt()))
            .put("createdAt", text(r.createdAt())).put("updatedAt", text(r.updatedAt()))
            .put("expiresAt", text(r.expiresAt()))
            .put("sourceSessionId", r.sourceSession() == null ? null : r.sourceSession().toString())
            .put("keyId", r.keyId());
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}

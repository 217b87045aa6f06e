package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.CredentialRecord;
import dev.loginrelay.controller.model.CredentialState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code credentials} table (one current, envelope-encrypted record per user and provider), its
 * {@code credential_events} and the {@code session_workspaces} targets. Every change writes its event in the same
 * transaction. Only ciphertext and metadata pass through here.
 */
public final class CredentialStore {
    private static final String COLUMNS = "user_id, provider, version, state, account_email, account_plan, "
        + "created_at, updated_at, expires_at, source_session_id, workspace_id, installed_at, key_id, wrapped_key, "
        + "nonce, ciphertext";
    private static final String UPSERT = "INSERT INTO credentials (user_id, provider, version, state, account_email, "
        + "account_plan, expires_at, source_session_id, key_id, wrapped_key, nonce, ciphertext) "
        + "VALUES (?, ?, 1, 'held', ?, ?, ?, ?, ?, ?, ?, ?) "
        + "ON CONFLICT (user_id, provider) DO UPDATE SET version = credentials.version + 1, "
        + "state = CASE WHEN credentials.state = 'installed' AND ? THEN 'installed' ELSE 'held' END, "
        + "workspace_id = CASE WHEN credentials.state = 'installed' AND ? THEN credentials.workspace_id END, "
        + "installed_at = CASE WHEN credentials.state = 'installed' AND ? THEN credentials.installed_at END, "
        + "account_email = EXCLUDED.account_email, account_plan = EXCLUDED.account_plan, "
        + "expires_at = EXCLUDED.expires_at, source_session_id = EXCLUDED.source_session_id, "
        + "created_at = CASE WHEN ? THEN credentials.created_at ELSE now() END, updated_at = now(), "
        + "key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key, nonce = EXCLUDED.nonce, "
        + "ciphertext = EXCLUDED.ciphertext RETURNING " + COLUMNS;

    private final Db db;

    public CredentialStore(Db db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    /** A new envelope for a user's provider. */
    public record NewEnvelope(String userId, String provider, String accountEmail, String accountPlan,
                              Instant expiresAt, UUID sourceSession, String keyId, byte[] wrappedKey, byte[] nonce,
                              byte[] ciphertext) {
        @Override
        public String toString() {
            return "NewEnvelope[" + userId + "/" + provider + " keyId=" + keyId + "]";
        }
    }

    /**
     * Stores {@code e} as the user's current record (version 1, or the old version + 1) and appends {@code kind}.
     * {@code keepPlacement}: the files are a newer copy of what is installed (pulled back from the workspace), so
     * the record stays {@code installed} there; otherwise it becomes {@code held}.
     */
    public Future<CredentialRecord> put(NewEnvelope e, boolean keepPlacement, String kind, JsonObject detail) {
        return db.inTransaction(c -> {
            CredentialRecord r;
            try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                int i = 1;
                ps.setString(i++, e.userId());
                ps.setString(i++, e.provider());
                ps.setString(i++, e.accountEmail());
                ps.setString(i++, e.accountPlan());
                ps.setTimestamp(i++, e.expiresAt() == null ? null : Timestamp.from(e.expiresAt()));
                ps.setObject(i++, e.sourceSession());
                ps.setString(i++, e.keyId());
                ps.setBytes(i++, e.wrappedKey());
                ps.setBytes(i++, e.nonce());
                ps.setBytes(i++, e.ciphertext());
                for (int k = 0; k < 4; k++) {
                    ps.setBoolean(i++, keepPlacement);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    r = row(rs);
                }
            }
            event(c, r, kind, r.workspaceId(), e.sourceSession(), detail);
            return r;
        });
    }

    public Future<Optional<CredentialRecord>> find(String userId, String provider) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM credentials WHERE user_id = ? AND provider = ?")) {
                ps.setString(1, userId);
                ps.setString(2, provider);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.<CredentialRecord>empty();
                }
            }
        });
    }

    /**
     * Moves the record of {@code version} to {@code state} (with {@code workspaceId} when installed) and appends
     * {@code kind}; revoking also drops the envelope. Empty when the record moved on meanwhile (another version).
     */
    public Future<Optional<CredentialRecord>> place(String userId, String provider, long version,
                                                    CredentialState state, String workspaceId, String kind,
                                                    JsonObject detail) {
        String sql = "UPDATE credentials SET state = ?, workspace_id = ?, updated_at = now(), "
            + "installed_at = CASE WHEN ? = 'installed' THEN now() END"
            + (state == CredentialState.REVOKED ? ", wrapped_key = NULL, nonce = NULL, ciphertext = NULL" : "")
            + " WHERE user_id = ? AND provider = ? AND version = ? RETURNING " + COLUMNS;
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, state.wireName());
                ps.setString(2, state == CredentialState.INSTALLED ? workspaceId : null);
                ps.setString(3, state.wireName());
                ps.setString(4, userId);
                ps.setString(5, provider);
                ps.setLong(6, version);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<CredentialRecord>empty();
                    }
                    CredentialRecord r = row(rs);
                    event(c, r, kind, workspaceId, null, detail);
                    return Optional.of(r);
                }
            }
        });
    }

    /** Appends an event that changes no record (an export, a failed install). */
    public Future<Void> appendEvent(String userId, String provider, Long version, String kind, String workspaceId,
                                    UUID sessionId, JsonObject detail) {
        return db.call(c -> {
            insertEvent(c, userId, provider, version, kind, workspaceId, sessionId, detail);
            return null;
        });
    }

    /** Every record's metadata, newest first (no envelope). */
    public Future<List<CredentialRecord>> list(int limit) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM credentials ORDER BY updated_at DESC LIMIT ?")) {
                ps.setInt(1, limit);
                List<CredentialRecord> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(withoutEnvelope(row(rs)));
                    }
                }
                return out;
            }
        });
    }

    /** The events of one user's provider, oldest first: {@code [{at, kind, version, workspace, session, detail}]}. */
    public Future<JsonArray> events(String userId, String provider) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT at, kind, version, workspace_id, session_id, "
                    + "detail::text FROM credential_events WHERE user_id = ? AND provider = ? ORDER BY id LIMIT 1000")) {
                ps.setString(1, userId);
                ps.setString(2, provider);
                JsonArray out = new JsonArray();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long v = rs.getLong(3);
                        out.add(new JsonObject().put("at", rs.getTimestamp(1).toInstant().toString())
                            .put("kind", rs.getString(2)).put("version", rs.wasNull() ? null : v)
                            .put("workspace", rs.getString(4))
                            .put("sessionId", rs.getObject(5) == null ? null : rs.getObject(5).toString())
                            .put("detail", new JsonObject(rs.getString(6))));
                    }
                }
                return out;
            }
        });
    }

    /** Remembers the workspace a session's login is for. */
    public Future<Void> setSessionWorkspace(UUID sessionId, String workspaceId) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO session_workspaces (session_id, workspace_id) "
                    + "VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id")) {
                ps.setObject(1, sessionId);
                ps.setString(2, workspaceId);
                ps.executeUpdate();
                return null;
            }
        });
    }

    public Future<Optional<String>> sessionWorkspace(UUID sessionId) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT workspace_id FROM session_workspaces WHERE session_id = ?")) {
                ps.setObject(1, sessionId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    private static void event(Connection c, CredentialRecord r, String kind, String workspaceId, UUID sessionId,
                              JsonObject detail) throws SQLException {
        insertEvent(c, r.userId(), r.provider(), r.version(), kind, workspaceId, sessionId, detail);
    }

    private static void insertEvent(Connection c, String userId, String provider, Long version, String kind,
                                    String workspaceId, UUID sessionId, JsonObject detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO credential_events "
                + "(user_id, provider, version, kind, workspace_id, session_id, detail) "
                + "VALUES (?, ?, ?, ?, ?, ?, CAST(? AS jsonb))")) {
            ps.setString(1, userId);
            ps.setString(2, provider);
            ps.setObject(3, version);
            ps.setString(4, kind);
            ps.setString(5, workspaceId);
            ps.setObject(6, sessionId);
            ps.setString(7, (detail == null ? new JsonObject() : detail).encode());
            ps.executeUpdate();
        }
    }

    private static CredentialRecord row(ResultSet rs) throws SQLException {
        return new CredentialRecord(rs.getString("user_id"), rs.getString("provider"), rs.getLong("version"),
            CredentialState.fromWire(rs.getString("state")), rs.getString("account_email"),
            rs.getString("account_plan"), instant(rs, "created_at"), instant(rs, "updated_at"),
            instant(rs, "expires_at"), (UUID) rs.getObject("source_session_id"), rs.getString("workspace_id"),
            instant(rs, "installed_at"), rs.getString("key_id"), rs.getBytes("wrapped_key"), rs.getBytes("nonce"),
            rs.getBytes("ciphertext"));
    }

    private static CredentialRecord withoutEnvelope(CredentialRecord r) {
        return new CredentialRecord(r.userId(), r.provider(), r.version(), r.state(), r.accountEmail(),
            r.accountPlan(), r.createdAt(), r.updatedAt(), r.expiresAt(), r.sourceSession(), r.workspaceId(),
            r.installedAt(), r.keyId(), null, null, null);
    }

    private static Instant instant(ResultSet rs, String col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }
}

package dev.loginrelay.controller.store;

import dev.loginrelay.controller.model.CredentialRecord;
import dev.loginrelay.controller.model.CredentialState;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The credentials table on real PostgreSQL: one current record per user and provider, versions, placement, revoke. */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class CredentialStoreTest {
    private static Db db;
    private static CredentialStore store;

    @BeforeAll
    static void migrate(Vertx vertx) {
        db = Db.create(vertx, PgFixture.instance().newSchema());
        Await.result(db.migrate());
        store = new CredentialStore(db);
    }

    @AfterAll
    static void close() {
        Await.result(db.close());
    }

    @Test
    void keepsOneCurrentVersionedRecordThatMovesBetweenWorkspacesAndLosesItsEnvelopeOnRevoke() {
        CredentialRecord first = Await.result(store.put(envelope("alice", "k1"), false, "captured", null));
        assertThat(first.version()).isEqualTo(1);
        assertThat(first.state()).isEqualTo(CredentialState.HELD);
        assertThat(first.toString()).doesNotContain("ciphertext").contains("alice/codex v1 held");

        CredentialRecord installed = Await.result(store.place("alice", "codex", 1, CredentialState.INSTALLED, "ws-a",
            "installed", new JsonObject().put("verified", true))).orElseThrow();
        assertThat(installed.workspaceId()).isEqualTo("ws-a");
        assertThat(installed.installedAt()).isNotNull();
        assertThat(Await.result(store.place("alice", "codex", 7, CredentialState.HELD, null, "removed", null)))
            .as("another version moves nothing").isEmpty();

        CredentialRecord refreshed = Await.result(store.put(envelope("alice", "k2"), true, "removed", null));
        assertThat(refreshed.version()).isEqualTo(2);
        assertThat(refreshed.state()).as("a pulled-back copy keeps its placement").isEqualTo(CredentialState.INSTALLED);
        assertThat(refreshed.keyId()).isEqualTo("k2");
        CredentialRecord relogin = Await.result(store.put(envelope("alice", "k2"), false, "captured", null));
        assertThat(relogin.version()).isEqualTo(3);
        assertThat(relogin.state()).isEqualTo(CredentialState.HELD);
        assertThat(relogin.workspaceId()).isNull();

        CredentialRecord revoked = Await.result(store.place("alice", "codex", 3, CredentialState.REVOKED, null,
            "revoked", null)).orElseThrow();
        assertThat(revoked.hasFiles()).isFalse();
        assertThat(revoked.ciphertext()).isNull();
        assertThat(revoked.wrappedKey()).isNull();

        JsonArray events = Await.result(store.events("alice", "codex"));
        assertThat(events.stream().map(e -> ((JsonObject) e).getString("kind")))
            .containsExactly("captured", "installed", "removed", "captured", "revoked");
        assertThat(Await.result(store.list(10))).allSatisfy(r -> assertThat(r.ciphertext()).isNull());
    }

    private static CredentialStore.NewEnvelope envelope(String user, String keyId) {
        return new CredentialStore.NewEnvelope(user, "codex", user + "@example.com", "team",
            Instant.parse("2030-01-01T00:00:00Z"), UUID.randomUUID(), keyId, new byte[60], new byte[12], new byte[40]);
    }
}

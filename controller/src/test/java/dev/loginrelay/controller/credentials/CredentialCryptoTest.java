package dev.loginrelay.controller.credentials;

import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.CredentialRecord;
import dev.loginrelay.controller.model.CredentialState;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Envelope encryption, master key rotation and loading, workspace parsing, sealed export: pure, no Vert.x. */
class CredentialCryptoTest {
    private static final String TOKEN = "planted-refresh-token-9f3a7c1e";

    @Test
    void sealedFilesHoldNoPlaintextAndOpenOnlyForTheirOwnerAndProvider() {
        MasterKeys keys = MasterKeys.parse(Secret.of(MasterKeys.newKeyText()));
        CredentialFiles files = files();
        Envelope.Sealed s = files.seal(keys, "alice", "codex");
        assertThat(new String(s.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain(TOKEN);
        assertThat(s.toString()).doesNotContain(TOKEN);
        assertThat(CredentialFiles.open(keys, record("alice", "codex", s)).sameContentAs(files)).isTrue();
        assertThatThrownBy(() -> CredentialFiles.open(keys, record("bob", "codex", s)))
            .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code())
                .isEqualTo(ErrorCode.MASTER_KEY_UNAVAILABLE));
        assertThat(files.toString()).doesNotContain(TOKEN).contains(".codex/auth.json");
    }

    @Test
    void rotatedKeysStillOpenOldRecordsAndSealNewOnesWithTheCurrentKey() {
        String oldKey = MasterKeys.newKeyText();
        MasterKeys before = MasterKeys.parse(Secret.of(oldKey));
        Envelope.Sealed old = files().seal(before, "alice", "codex");
        String newKey = "k2:" + Base64.getEncoder().encodeToString(new byte[32]);
        MasterKeys after = MasterKeys.parse(Secret.of(newKey + "\n" + oldKey));
        assertThat(after.currentId()).isEqualTo("k2");
        assertThat(CredentialFiles.open(after, record("alice", "codex", old)).sameContentAs(files())).isTrue();
        assertThat(files().seal(after, "alice", "codex").keyId()).isEqualTo("k2");
    }

    @Test
    void refusesAMissingOrWrongMasterKeyNamingTheKeyId() {
        String text = MasterKeys.newKeyText();
        String id = text.substring(0, text.indexOf(':'));
        Envelope.Sealed s = files().seal(MasterKeys.parse(Secret.of(text)), "alice", "codex");
        assertThatThrownBy(() -> CredentialFiles.open(MasterKeys.parse(Secret.of(MasterKeys.newKeyText())),
                record("alice", "codex", s)))
            .hasMessageContaining("master key id " + id).hasMessageContaining("does not have");
        String sameIdOtherBytes = id + ":" + Base64.getEncoder().encodeToString(new byte[32]);
        assertThatThrownBy(() -> CredentialFiles.open(MasterKeys.parse(Secret.of(sameIdOtherBytes)),
                record("alice", "codex", s)))
            .hasMessageContaining("not the key they were sealed with");
    }

    @Test
    void masterKeyIsGeneratedPrivatelyOnceAndAnUnreadableConfiguredFileStopsTheStart(@TempDir Path dir)
        throws Exception {
        MasterKeys first = MasterKeys.fromEnv(Map.of(), dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("master-key"))))
            .isEqualTo("rw-------");
        assertThat(MasterKeys.fromEnv(Map.of(), dir).currentId()).isEqualTo(first.currentId());
        assertThat(first.toString()).doesNotContain(Files.readString(dir.resolve("master-key")).split(":")[1].strip());
        Path missing = dir.resolve("no-such-key");
        assertThatThrownBy(() -> MasterKeys.fromEnv(Map.of("LOGINRELAY_MASTER_KEY_FILE", missing.toString()), dir))
            .isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot read the master key file " + missing);
        assertThatThrownBy(() -> MasterKeys.parse(Secret.of("k1:" + Base64.getEncoder().encodeToString(new byte[16]))))
            .hasMessageContaining("must be 32 bytes");
    }

    @Test
    void parsesWorkspacesWithTheirOwners() {
        var ws = Workspace.parse("ws-a=alice=http://10.0.0.5:7070=/run/secrets/ws-a.token, ws-b=bob=http://h:1=/t");
        assertThat(ws).extracting(Workspace::id, Workspace::userId, Workspace::baseUrl)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("ws-a", "alice", "http://10.0.0.5:7070"),
                org.assertj.core.groups.Tuple.tuple("ws-b", "bob", "http://h:1"));
        assertThatThrownBy(() -> Workspace.parse("ws-a=http://h:1=/t")).hasMessageContaining("entry 1");
        assertThatThrownBy(() -> Workspace.parse("a=u=http://h:1=/t,a=v=http://h:2=/t"))
            .hasMessageContaining("twice");
    }

    @Test
    void exportIsAJweOnlyTheRecipientOpens() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        SealedExport export = SealedExport.ofJwk(ec.toJSONString()); // a private JWK is reduced to its public part
        String compact = files().sealTo(export);
        assertThat(compact).doesNotContain(TOKEN).doesNotContain(Base64.getEncoder().encodeToString(TOKEN.getBytes()));
        JWEObject jwe = JWEObject.parse(compact);
        assertThat(jwe.getHeader().getAlgorithm().getName()).isEqualTo("ECDH-ES");
        jwe.decrypt(new ECDHDecrypter(ec));
        assertThat(jwe.getPayload().toString()).contains(Base64.getEncoder().encodeToString(
            ("{\"refresh_token\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> SealedExport.ofJwk(new RSAKeyGenerator(1024, true).generate().toJSONString()))
            .hasMessageContaining("2048");
    }

    private static CredentialFiles files() {
        return CredentialFiles.of(new JsonArray().add(new JsonObject().put("path", ".codex/auth.json")
            .put("mode", "0600").put("content", Base64.getEncoder().encodeToString(
                ("{\"refresh_token\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8)))));
    }

    private static CredentialRecord record(String user, String provider, Envelope.Sealed s) {
        return new CredentialRecord(user, provider, 1, CredentialState.HELD, null, null, Instant.now(), Instant.now(),
            null, null, null, null, s.keyId(), s.wrappedKey(), s.nonce(), s.ciphertext());
    }
}

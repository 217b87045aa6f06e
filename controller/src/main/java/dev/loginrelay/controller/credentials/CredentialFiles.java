package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.model.CredentialRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Credential files in clear, in the agent's wire form ({@code [{path, mode, content(base64)}]}), for as long as one
 * call needs them: sealing into custody, sending to a workspace agent, sealing to the export recipient. It never
 * shows its contents ({@code toString()} names the paths) and is never stored.
 */
final class CredentialFiles {
    private final JsonArray files;

    private CredentialFiles(JsonArray files) {
        this.files = files;
    }

    static CredentialFiles of(JsonArray files) {
        return new CredentialFiles(files == null ? new JsonArray() : files.copy());
    }

    /** Decrypts a record's envelope ({@code MASTER_KEY_UNAVAILABLE} when the key is missing or wrong). */
    static CredentialFiles open(MasterKeys keys, CredentialRecord r) {
        byte[] plain = Envelope.open(keys, new Envelope.Sealed(r.keyId(), r.wrappedKey(), r.nonce(), r.ciphertext()),
            r.userId(), r.provider());
        try {
            return new CredentialFiles(new JsonObject(new String(plain, StandardCharsets.UTF_8)).getJsonArray("files"));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    Envelope.Sealed seal(MasterKeys keys, String userId, String provider) {
        byte[] plain = plaintext();
        try {
            return Envelope.seal(keys, plain, userId, provider);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    String sealTo(SealedExport export) {
        byte[] plain = plaintext();
        try {
            return export.seal(plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private byte[] plaintext() {
        return new JsonObject().put("files", files).encode().getBytes(StandardCharsets.UTF_8);
    }

    /** The wire form, to send to a workspace agent. */
    JsonArray wire() {
        return files.copy();
    }

    int count() {
        return files.size();
    }

    JsonArray paths() {
        JsonArray a = new JsonArray();
        for (int i = 0; i < files.size(); i++) {
            a.add(files.getJsonObject(i).getString("path"));
        }
        return a;
    }

    /** True when both hold the same paths with the same contents. */
    boolean sameContentAs(CredentialFiles other) {
        return contents().equals(other.contents());
    }

    private Map<String, String> contents() {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < files.size(); i++) {
            JsonObject f = files.getJsonObject(i);
            m.put(f.getString("path"), f.getString("content"));
        }
        return m;
    }

    @Override
    public String toString() {
        return "CredentialFiles" + paths().encode();
    }
}

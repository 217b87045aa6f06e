package dev.loginrelay.controller.credentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The custody settings: master keys, the workspaces, and the export recipient (null: export is off).
 *
 * @param keys       {@code LOGINRELAY_MASTER_KEY(_FILE)} or the generated {@code <data-dir>/master-key}
 * @param workspaces {@code LOGINRELAY_WORKSPACES}, by id
 * @param export     {@code LOGINRELAY_EXPORT_RECIPIENT(_FILE)}: the product's public JWK
 */
public record CredentialConfig(MasterKeys keys, Map<String, Workspace> workspaces, SealedExport export) {
    public CredentialConfig {
        java.util.Objects.requireNonNull(keys, "keys");
        workspaces = Map.copyOf(workspaces);
    }

    /** Reads the settings; blocking (key files). Fails fast when a configured file cannot be read. */
    public static CredentialConfig fromEnv(Map<String, String> env, Path dataDir) {
        Map<String, Workspace> ws = new LinkedHashMap<>();
        Workspace.parse(env.get("LOGINRELAY_WORKSPACES")).forEach(w -> ws.put(w.id(), w));
        String recipient = env.get("LOGINRELAY_EXPORT_RECIPIENT");
        String recipientFile = env.get("LOGINRELAY_EXPORT_RECIPIENT_FILE");
        if ((recipient == null || recipient.isBlank()) && recipientFile != null && !recipientFile.isBlank()) {
            try {
                recipient = Files.readString(Path.of(recipientFile), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read LOGINRELAY_EXPORT_RECIPIENT_FILE " + recipientFile, e);
            }
        }
        SealedExport export = recipient == null || recipient.isBlank() ? null : SealedExport.ofJwk(recipient);
        return new CredentialConfig(MasterKeys.fromEnv(env, dataDir), ws, export);
    }

    /** One log line: key ids, workspace ids and owners, the recipient's key id; no key material. */
    public String describe() {
        List<String> w = workspaces.values().stream().map(x -> x.id() + "(" + x.userId() + ")").toList();
        return "masterKeys=" + keys.ids() + " current=" + keys.currentId() + " workspaces=" + w + " exportRecipient="
            + (export == null ? "none" : export.recipientId() + " " + export.algorithm());
    }
}

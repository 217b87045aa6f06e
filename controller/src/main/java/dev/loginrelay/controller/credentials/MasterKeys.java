package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The master keys that wrap each credential record's data key, by key id. The first key is the current one (new
 * records use it); the others only unwrap older records, so rotating means putting a new key first and keeping the
 * old ones until every record was re-sealed. Text form: {@code <keyId>:<base64 of 32 bytes>}, one per line or
 * comma-separated. {@code toString()} shows the key ids only.
 */
public final class MasterKeys {
    private static final Logger log = LoggerFactory.getLogger(MasterKeys.class);
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final String ENV = "LOGINRELAY_MASTER_KEY";

    private final String currentId;
    private final Map<String, SecretKey> keys;

    private MasterKeys(String currentId, Map<String, SecretKey> keys) {
        this.currentId = currentId;
        this.keys = Map.copyOf(keys);
    }

    /** Parses the text form; fails naming the entry (never its key bytes). */
    public static MasterKeys parse(Secret text) {
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String first = null;
        int n = 0;
        for (String entry : text.reveal().split("[,\\n]")) {
            n++;
            String e = entry.strip();
            if (e.isEmpty() || e.startsWith("#")) {
                continue;
            }
            int colon = e.indexOf(':');
            String id = colon < 0 ? "" : e.substring(0, colon);
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException(ENV + " entry " + n + " must look like <keyId>:<base64 of 32 bytes>");
            }
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(e.substring(colon + 1).strip());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(ENV + " key " + id + " is not base64");
            }
            if (raw.length != 32) {
                throw new IllegalArgumentException(ENV + " key " + id + " must be 32 bytes (AES-256), not " + raw.length);
            }
            if (keys.put(id, new SecretKeySpec(raw, "AES")) != null) {
                throw new IllegalArgumentException(ENV + " names key id " + id + " twice");
            }
            first = first == null ? id : first;
        }
        if (first == null) {
            throw new IllegalArgumentException(ENV + " holds no key");
        }
        return new MasterKeys(first, keys);
    }

    /**
     * {@code LOGINRELAY_MASTER_KEY}, else the file {@code LOGINRELAY_MASTER_KEY_FILE} (which must be readable: the
     * controller refuses to start otherwise), else {@code <dataDir>/master-key}, generated (0600) when missing.
     * Blocking.
     */
    public static MasterKeys fromEnv(Map<String, String> env, Path dataDir) {
        String inline = env.get(ENV);
        if (inline != null && !inline.isBlank()) {
            return parse(Secret.of(inline));
        }
        String file = env.get(ENV + "_FILE");
        if (file != null && !file.isBlank()) {
            return parse(readFile(Path.of(file)));
        }
        Path generated = dataDir.resolve("master-key");
        if (!Files.exists(generated)) {
            SecretFiles.write(generated, newKeyText());
            log.info("generated the credential master key into {} (mode 0600); back it up: without it the "
                + "credentials in custody cannot be decrypted", generated);
        }
        return parse(readFile(generated));
    }

    private static Secret readFile(Path file) {
        try {
            return Secret.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the master key file " + file + " (" + ENV + "_FILE): "
                + e.getClass().getSimpleName(), e);
        }
    }

    /** A new key in the text form, with a key id from the current time: {@code k20260101T120000-<random>}. */
    public static String newKeyText() {
        SecureRandom random = new SecureRandom();
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String id = "k" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").format(ZonedDateTime.now(ZoneOffset.UTC))
            + "-" + Integer.toHexString(random.nextInt(1 << 16));
        return id + ":" + Base64.getEncoder().encodeToString(raw);
    }

    public String currentId() {
        return currentId;
    }

    SecretKey current() {
        return keys.get(currentId);
    }

    Optional<SecretKey> find(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }

    public List<String> ids() {
        return List.copyOf(keys.keySet());
    }

    @Override
    public String toString() {
        return "MasterKeys[current=" + currentId + ", ids=" + keys.keySet() + "]";
    }
}

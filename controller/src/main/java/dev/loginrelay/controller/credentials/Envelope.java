package dev.loginrelay.controller.credentials;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Envelope encryption of one credential record: a fresh AES-256-GCM data key encrypts the files, and the current
 * master key wraps that data key (AES-256-GCM too). Both bind the record's owner and provider as associated data, so
 * a ciphertext copied onto another row does not decrypt. The database only ever sees the {@link Sealed} parts.
 */
final class Envelope {
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What is stored: the master key's id, the wrapped data key ({@code nonce || ciphertext+tag}), the data nonce and
     * the ciphertext of the files.
     */
    record Sealed(String keyId, byte[] wrappedKey, byte[] nonce, byte[] ciphertext) {
        @Override
        public String toString() {
            return "Sealed[keyId=" + keyId + ", " + ciphertext.length + " bytes]";
        }
    }

    private Envelope() {
    }

    static Sealed seal(MasterKeys keys, byte[] plaintext, String userId, String provider) {
        try {
            KeyGenerator gen = KeyGenerator.getInstance("AES");
            gen.init(256, RANDOM);
            SecretKey dek = gen.generateKey();
            byte[] nonce = random(NONCE);
            byte[] ct = gcm(Cipher.ENCRYPT_MODE, dek, nonce, aad("data", keys.currentId(), userId, provider), plaintext);
            byte[] wrapNonce = random(NONCE);
            byte[] rawDek = dek.getEncoded();
            byte[] wrapped = gcm(Cipher.ENCRYPT_MODE, keys.current(), wrapNonce,
                aad("key", keys.currentId(), userId, provider), rawDek);
            Arrays.fill(rawDek, (byte) 0);
            return new Sealed(keys.currentId(), ByteBuffer.allocate(NONCE + wrapped.length).put(wrapNonce).put(wrapped)
                .array(), nonce, ct);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /** The plaintext; {@code MASTER_KEY_UNAVAILABLE} when the key id is unknown here or the key does not fit. */
    static byte[] open(MasterKeys keys, Sealed s, String userId, String provider) {
        SecretKey master = keys.find(s.keyId()).orElseThrow(() -> new ApiException(ErrorCode.MASTER_KEY_UNAVAILABLE,
            "the credentials of " + userId + "/" + provider + " are sealed with master key id " + s.keyId()
                + ", which this controller does not have (it has " + keys.ids() + "); configure it in "
                + MasterKeys.ENV + " or " + MasterKeys.ENV + "_FILE"));
        byte[] rawDek = null;
        try {
            byte[] wrapNonce = Arrays.copyOfRange(s.wrappedKey(), 0, NONCE);
            byte[] wrapped = Arrays.copyOfRange(s.wrappedKey(), NONCE, s.wrappedKey().length);
            rawDek = gcm(Cipher.DECRYPT_MODE, master, wrapNonce, aad("key", s.keyId(), userId, provider), wrapped);
            return gcm(Cipher.DECRYPT_MODE, new SecretKeySpec(rawDek, "AES"), s.nonce(),
                aad("data", s.keyId(), userId, provider), s.ciphertext());
        } catch (AEADBadTagException e) {
            throw new ApiException(ErrorCode.MASTER_KEY_UNAVAILABLE, "the master key with id " + s.keyId()
                + " does not decrypt the credentials of " + userId + "/" + provider
                + ": it is not the key they were sealed with (or the record was altered); nothing was changed");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getClass().getSimpleName(), e);
        } finally {
            if (rawDek != null) {
                Arrays.fill(rawDek, (byte) 0);
            }
        }
    }

    private static byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] aad, byte[] input)
        throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(aad);
        return c.doFinal(input);
    }

    private static byte[] aad(String part, String keyId, String userId, String provider) {
        return ("loginrelay-credentials/v1\0" + part + "\0" + keyId + "\0" + userId + "\0" + provider)
            .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}

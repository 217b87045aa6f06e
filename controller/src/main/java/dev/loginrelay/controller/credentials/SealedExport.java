package dev.loginrelay.controller.credentials;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.text.ParseException;

/**
 * Seals credential files to the product's public key as a compact JWE: {@code RSA-OAEP-256} for an RSA key (2048
 * bits or more), {@code ECDH-ES} for an EC key, content always {@code A256GCM}. Only the holder of the private key
 * can read an export; the controller keeps no copy of what it sent.
 */
public final class SealedExport {
    /** The JWE {@code cty} of an export: the JSON {@code {files:[{path,mode,content}]}}. */
    public static final String CONTENT_TYPE = "loginrelay-credentials+json";

    private final JWK recipient;
    private final JWEAlgorithm algorithm;

    private SealedExport(JWK recipient, JWEAlgorithm algorithm) {
        this.recipient = recipient;
        this.algorithm = algorithm;
    }

    /** The recipient from its public JWK (JSON); a private JWK is reduced to its public part. */
    public static SealedExport ofJwk(String json) {
        JWK jwk;
        try {
            jwk = JWK.parse(json).toPublicJWK();
        } catch (ParseException e) {
            throw new IllegalArgumentException("LOGINRELAY_EXPORT_RECIPIENT is not a JWK: " + e.getMessage(), e);
        }
        if (jwk instanceof RSAKey rsa) {
            if (rsa.size() < 2048) {
                throw new IllegalArgumentException("LOGINRELAY_EXPORT_RECIPIENT: an RSA key needs 2048 bits or more");
            }
            return new SealedExport(rsa, JWEAlgorithm.RSA_OAEP_256);
        }
        if (jwk instanceof ECKey) {
            return new SealedExport(jwk, JWEAlgorithm.ECDH_ES);
        }
        throw new IllegalArgumentException("LOGINRELAY_EXPORT_RECIPIENT must be an RSA or EC public JWK, not "
            + jwk.getKeyType());
    }

    /** The recipient key's id ({@code kid}), or its RFC 7638 thumbprint when it has none. */
    public String recipientId() {
        if (recipient.getKeyID() != null) {
            return recipient.getKeyID();
        }
        try {
            return recipient.computeThumbprint().toString();
        } catch (JOSEException e) {
            return "unknown";
        }
    }

    public String algorithm() {
        return algorithm.getName() + "+" + EncryptionMethod.A256GCM.getName();
    }

    /** A compact JWE of {@code plaintext}. */
    String seal(byte[] plaintext) {
        try {
            JWEEncrypter enc = recipient instanceof RSAKey rsa ? new RSAEncrypter(rsa)
                : new ECDHEncrypter((ECKey) recipient);
            JWEObject jwe = new JWEObject(new JWEHeader.Builder(algorithm, EncryptionMethod.A256GCM)
                .keyID(recipientId()).contentType(CONTENT_TYPE).build(), new Payload(plaintext));
            jwe.encrypt(enc);
            return jwe.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("sealing the export failed: " + e.getMessage(), e);
        }
    }
}

package dev.loginrelay.controller.vm.kubernetes;

import dev.loginrelay.controller.support.Secret;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Each claimed agent's own token: HMAC-SHA256 under a key only the controllers hold, over the claim's name and uid.
 * Every replica derives the same token, so none has to store it, and a claim made again under the same name (a new
 * uid) gets another. A sandbox, which holds only the pool's bootstrap token, cannot derive any claim's token.
 */
final class ClaimTokens {
    private static final int MIN_KEY_CHARS = 32;
    private final SecretKeySpec key;

    ClaimTokens(Secret key) {
        if (key.reveal().length() < MIN_KEY_CHARS) {
            throw new IllegalArgumentException("LOGINRELAY_K8S_TOKEN_KEY_FILE must hold at least " + MIN_KEY_CHARS
                + " characters");
        }
        this.key = new SecretKeySpec(key.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    Secret of(String claimName, String claimUid) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] out = mac.doFinal(("loginrelay claim token\n" + claimName + "\n" + claimUid)
                .getBytes(StandardCharsets.UTF_8));
            return Secret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(out));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM has no HmacSHA256", e);
        }
    }
}

package dev.loginrelay.agent.run;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.provider.ProviderSpec.RelayMode;
import dev.loginrelay.agent.relay.CallbackRelay;
import io.vertx.core.json.JsonObject;

/**
 * What a run shows the user and takes back: the auth URL (and for a loopback callback, where the CLI listens), or
 * the device code; whether the CLI waits for a pasted code; whether the single-use callback was taken. The checks
 * that accept or refuse the user's step live here; {@link LoginRun} moves the run. On the run's context.
 */
final class RunUserStep {
    private final String runId;
    private final ProviderSpec spec;
    private String authUrl;
    private String verificationUrl;
    private String userCode;
    private CallbackRelay.Target target;
    private boolean awaitingCode;
    private boolean callbackTaken;

    RunUserStep(String runId, ProviderSpec spec) {
        this.runId = runId;
        this.spec = spec;
    }

    /**
     * The CLI printed an auth URL (again, when {@code true} is returned: a retry). For a loopback callback its
     * redirect target is parsed; an IllegalArgumentException says why it is unusable.
     */
    boolean authUrl(String url) {
        boolean retry = authUrl != null;
        authUrl = url;
        awaitingCode = false;
        if (spec.relay() == RelayMode.LOOPBACK_CALLBACK) {
            target = CallbackRelay.targetOf(url);
            callbackTaken = false;
        }
        return retry;
    }

    /** The CLI's link is out (and, for a pasted code, the CLI asks for it): a user can act on it now. */
    boolean linkShown() {
        return authUrl != null && (spec.relay() != RelayMode.PASTE_CODE || awaitingCode);
    }

    void deviceCode(String url, String code) {
        verificationUrl = url;
        userCode = code;
    }

    /** The CLI waits for input: true when that means it now waits for a pasted code (once per auth URL). */
    boolean codeAwaited() {
        if (spec.relay() == RelayMode.PASTE_CODE && authUrl != null && !awaitingCode) {
            awaitingCode = true;
            return true;
        }
        return false;
    }

    /**
     * Takes the user's callback URL if the run is waiting for it: returns the path and query to replay to
     * {@link #target()}; the callback is then taken (single use). A 4xx ApiException otherwise.
     */
    String takeCallback(String url, RunState state) {
        if (spec.relay() != RelayMode.LOOPBACK_CALLBACK) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE,
                "provider " + spec.name() + " expects " + spec.relay().expects() + ", not a callback URL");
        }
        if (callbackTaken && !state.isTerminal()) {
            throw new ApiException(ErrorCode.CALLBACK_ALREADY_RELAYED,
                "a callback was already relayed for run " + runId + "; a relay is single-use");
        }
        if (state != RunState.AWAITING_USER || target == null) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE,
                "run " + runId + " is " + state.wireName() + "; a callback is accepted only while awaiting_user");
        }
        String pathAndQuery = CallbackRelay.check(target, url);
        callbackTaken = true;
        return pathAndQuery;
    }

    /** Takes a pasted code if the CLI waits for one: returns it trimmed. A 4xx ApiException otherwise. */
    String takeCode(String code, RunState state) {
        if (spec.relay() != RelayMode.PASTE_CODE || spec.code() == null) {
            throw new ApiException(ErrorCode.ILLEGAL_STATE,
                "provider " + spec.name() + " expects " + spec.relay().expects() + ", not a code");
        }
        if (state != RunState.AWAITING_USER || !awaitingCode) {
            throw new ApiException(ErrorCode.NOT_AWAITING_CODE,
                "the CLI of run " + runId + " is not waiting for a code (state " + state.wireName() + ")");
        }
        CodeCheck.check(spec.code(), code, CallbackRelay.stateOf(authUrl));
        awaitingCode = false;
        return code.strip();
    }

    /** The CLI refused the relayed callback but still listens: the user may send another one. */
    void reopenCallback() {
        callbackTaken = false;
    }

    CallbackRelay.Target target() {
        return target;
    }

    /** Adds what the user sees to the run's view. */
    JsonObject view(JsonObject v, RunState state) {
        return v.put("expects", spec.relay().expects())
            .put("awaitingInput", state == RunState.AWAITING_USER && (spec.relay() != RelayMode.PASTE_CODE
                || awaitingCode))
            .put("authUrl", authUrl).put("verificationUrl", verificationUrl).put("userCode", userCode);
    }
}

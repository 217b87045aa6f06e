package dev.loginrelay.agent.run;

import dev.loginrelay.agent.api.ApiException;
import dev.loginrelay.agent.api.ErrorCode;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.provider.ProviderSpec.RelayMode;
import dev.loginrelay.agent.pty.PtyRunner;
import dev.loginrelay.agent.pty.ScanEvent;
import dev.loginrelay.agent.pty.TerminalScanner;
import dev.loginrelay.agent.relay.CallbackRelay;
import dev.loginrelay.agent.support.Redact;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One login attempt: owns its state, its events and its CLI process. Every method runs on the run's Vert.x context;
 * the PTY thread hops back with {@code runOnContext}, and blocking work (files, process start and kill, verification)
 * goes to worker threads. The user's step (a callback URL or a code) is accepted only in the state that expects it.
 */
public final class LoginRun {
    private static final Logger log = LoggerFactory.getLogger(LoginRun.class);
    private static final long FAILURE_EXIT_GRACE_MS = 3000;
    private static final long QUEUE_POLL_MS = 250;

    private final String id;
    private final ProviderSpec spec;
    private final RunDeps deps;
    private final EventLog events;
    private final Instant createdAt = Instant.now();
    /** Values seen in this run that must never be shown: pasted codes, relayed callback codes. */
    private final Set<String> secrets = ConcurrentHashMap.newKeySet();
    private final RunProcess process;
    private RunState state = RunState.STARTING;
    private Instant updatedAt = createdAt;
    private String authUrl;
    private String verificationUrl;
    private String userCode;
    private CallbackRelay.Target target;
    private boolean awaitingCode;
    private boolean callbackTaken;
    private boolean verifying;
    private Integer exitCode;
    private String errorCode;
    private String errorMessage;
    private JsonObject account;
    private String[] cliFailure;
    private long phaseTimer = -1;
    private Future<Void> stopped = Future.succeededFuture();

    LoginRun(String id, ProviderSpec spec, RunDeps deps) {
        this.id = id;
        this.spec = spec;
        this.deps = deps;
        this.events = new EventLog(deps.vertx());
        this.process = new RunProcess(id, spec, deps);
    }

    public String id() {
        return id;
    }

    public ProviderSpec spec() {
        return spec;
    }

    public RunState state() {
        return state;
    }

    Instant updatedAt() {
        return updatedAt;
    }

    EventLog events() {
        return events;
    }

    void start() {
        record("started", new JsonObject().put("provider", spec.name()).put("relay", spec.relay().wireName()));
        if (spec.exclusive() == null) {
            launch();
        } else {
            acquireHostLock();
        }
    }

    private void acquireHostLock() {
        process.tryLock(spec.exclusive()).onComplete(ar -> {
            if (state.isTerminal()) {
                process.release();
            } else if (ar.succeeded() && ar.result()) {
                move(RunState.STARTING, "dequeued", new JsonObject());
                launch();
            } else {
                if (ar.failed()) {
                    fail("LOCK_FAILED", "cannot take host lock " + spec.exclusive() + ": " + ar.cause().getMessage());
                    return;
                }
                if (state != RunState.QUEUED) {
                    move(RunState.QUEUED, "queued", new JsonObject().put("group", spec.exclusive()).put("reason",
                        "another " + spec.name() + " login holds " + spec.exclusive() + " on this host"));
                    armTimer("queue", spec.timeouts().userSeconds(), "the host lock " + spec.exclusive());
                }
                deps.vertx().setTimer(QUEUE_POLL_MS, t -> acquireHostLock());
            }
        });
    }

    private void launch() {
        armTimer("start", spec.timeouts().startSeconds(), waitingForAtStart());
        process.launch(new TerminalScanner(ScanRulesOf.of(spec)),
            scan -> deps.context().runOnContext(v -> scan.forEach(this::onScan)),
            code -> deps.context().runOnContext(v -> onExit(code)),
            err -> deps.context().runOnContext(v -> fail("CLI_START_FAILED", err)))
            .onSuccess(cmd -> record("cli_started", new JsonObject().put("command", cmd)))
            .onFailure(e -> fail("CLI_START_FAILED", e.getMessage()));
    }

    private String waitingForAtStart() {
        return spec.relay() == RelayMode.DEVICE_CODE
            ? "the device code (patterns detect.verificationUrl and detect.userCode)"
            : "the auth URL (pattern detect.authUrl: " + spec.detect().authUrl() + ")";
    }

    private void onScan(ScanEvent e) {
        if (state.isTerminal()) {
            return;
        }
        // Java 17: no pattern matching in switch yet.
        if (e instanceof ScanEvent.AuthUrl u) {
            onAuthUrl(u.url());
        } else if (e instanceof ScanEvent.DeviceCode d) {
            onDeviceCode(d.verificationUrl(), d.userCode());
        } else if (e instanceof ScanEvent.Prompt p) {
            answerPrompt(p.name(), p.answer());
        } else if (e instanceof ScanEvent.AwaitingInput) {
            onAwaitingInput();
        } else if (e instanceof ScanEvent.Success) {
            onSuccessText();
        } else if (e instanceof ScanEvent.Failure f) {
            onFailureText(f.code(), f.message());
        }
    }

    private void onAuthUrl(String url) {
        boolean retry = authUrl != null;
        authUrl = url;
        awaitingCode = false;
        if (spec.relay() == RelayMode.LOOPBACK_CALLBACK) {
            try {
                target = CallbackRelay.targetOf(url);
                callbackTaken = false;
            } catch (IllegalArgumentException ex) {
                fail("AUTH_URL_UNUSABLE", "the CLI printed an auth URL without a loopback redirect: " + ex.getMessage());
                return;
            }
        }
        JsonObject detail = new JsonObject().put("authUrl", url).put("expects", spec.relay().expects())
            .put("retry", retry);
        if (!move(RunState.AWAITING_USER, "auth_url_ready", detail)) {
            record("auth_url_ready", detail);
        }
        armTimer("user", spec.timeouts().userSeconds(), "the user's " + spec.relay().expects());
        if (spec.relay() == RelayMode.LOOPBACK_CALLBACK) {
            record("awaiting_input", new JsonObject().put("expects", "callback_url"));
        }
    }

    private void onDeviceCode(String url, String code) {
        verificationUrl = url;
        userCode = code;
        move(RunState.AWAITING_USER, "device_code_ready",
            new JsonObject().put("verificationUrl", url).put("userCode", code).put("expects", "none"));
        armTimer("user", spec.timeouts().userSeconds(), "the user to enter the device code");
    }

    private void answerPrompt(String name, String answer) {
        process.write(answer)
            .onSuccess(v -> record("prompt_answered", new JsonObject().put("prompt", name)))
            .onFailure(ex -> fail("CLI_UNREACHABLE", "cannot answer prompt " + name + ": " + ex.getMessage()));
    }

    private void onAwaitingInput() {
        if (spec.relay() == RelayMode.PASTE_CODE && authUrl != null && !awaitingCode) {
            awaitingCode = true;
            if (state == RunState.VERIFYING) {
                move(RunState.AWAITING_USER, "awaiting_input", new JsonObject().put("expects", "code"));
                armTimer("user", spec.timeouts().userSeconds(), "the user's code");
            } else {
                record("awaiting_input", new JsonObject().put("expects", "code"));
            }
        }
    }

    private void onSuccessText() {
        record("cli_reported_success", new JsonObject().put("trusted", false));
        if (spec.success().endProcessOnCredentials()) {
            verifyAndFinish();
        }
    }

    private void onFailureText(String code, String message) {
        String msg = Redact.text(message, secrets);
        if (code.startsWith(ScanRulesOf.ATTEMPT)) {
            record("attempt_failed", new JsonObject().put("code", code.substring(ScanRulesOf.ATTEMPT.length()))
                .put("message", msg));
            return;
        }
        if (cliFailure == null) {
            cliFailure = new String[] {code, msg};
            // Most CLIs exit right after their error line; give them a moment so the exit code is recorded too.
            deps.vertx().setTimer(FAILURE_EXIT_GRACE_MS, t -> {
                if (!state.isTerminal()) {
                    fail(cliFailure[0], cliFailure[1]);
                }
            });
        }
    }

    private void onExit(int code) {
        if (state.isTerminal() || code == -1 && exitCode != null) {
            return;
        }
        exitCode = code;
        record("cli_exited", new JsonObject().put("exitCode", code));
        List<Integer> ok = spec.success().exitCodes();
        if (cliFailure != null) {
            fail(cliFailure[0], cliFailure[1]);
        } else if (!ok.isEmpty() && !ok.contains(code)) {
            String last = process.lastLine();
            fail("CLI_EXITED", spec.command().get(0) + " exited with code " + code + " before the login finished"
                + (last.isEmpty() ? "" : "; its last line: " + last));
        } else {
            verifyAndFinish();
        }
    }

    private void verifyAndFinish() {
        if (verifying || state.isTerminal()) {
            return;
        }
        verifying = true;
        if (!move(RunState.VERIFYING, "verifying", new JsonObject())) {
            record("verifying", new JsonObject());
        }
        armTimer("finish", spec.timeouts().finishSeconds(), "the credentials to be verified");
        process.verify(spec.timeouts().finishSeconds() * 1000L).onComplete(ar -> {
            verifying = false;
            if (state.isTerminal()) {
                return;
            }
            Verifier.Result r = ar.succeeded() ? ar.result() : Verifier.Result.fail("VERIFY_FAILED",
                String.valueOf(ar.cause().getMessage()));
            if (r.ok()) {
                account = r.account();
                finish(RunState.READY, "ready", new JsonObject().put("account", account.copy())
                    .put("credentialsHome", process.home() == null ? null : process.home().toString()));
            } else if (process.isAlive() && !spec.success().endProcessOnCredentials()) {
                // The CLI is still working (e.g. it printed success before writing the file): wait for its exit.
                record("verify_pending", new JsonObject().put("reason", r.message()));
            } else {
                fail(r.errorCode(), r.message());
            }
        });
    }

    /** Relays the user's callback URL to the CLI's loopback listener. */
    Future<JsonObject> relayCallback(String url) {
        if (spec.relay() != RelayMode.LOOPBACK_CALLBACK) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_STATE,
                "provider " + spec.name() + " expects " + spec.relay().expects() + ", not a callback URL"));
        }
        if (callbackTaken && !state.isTerminal()) {
            return Future.failedFuture(new ApiException(ErrorCode.CALLBACK_ALREADY_RELAYED,
                "a callback was already relayed for run " + id + "; a relay is single-use"));
        }
        if (state != RunState.AWAITING_USER || target == null) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_STATE,
                "run " + id + " is " + state.wireName() + "; a callback is accepted only while awaiting_user"));
        }
        String pathAndQuery = CallbackRelay.check(target, url);
        callbackTaken = true;
        secrets.addAll(CallbackRelay.secretsOf(pathAndQuery));
        move(RunState.VERIFYING, "callback_received", new JsonObject().put("path", target.path()));
        armTimer("finish", spec.timeouts().finishSeconds(), "the CLI to finish after the callback");
        long timeoutMs = spec.timeouts().finishSeconds() * 1000L;
        return deps.relay().relay(target, pathAndQuery, spec.callback().followLocalRedirects(), timeoutMs)
            .map(r -> {
                JsonObject d = new JsonObject().put("cliStatus", r.cliStatus()).put("followed", r.followedPath())
                    .put("followedStatus", r.followedStatus());
                record("callback_relayed", d);
                return d;
            })
            .recover(ex -> {
                fail("CLI_UNREACHABLE", "the CLI's listener on " + target.host() + ":" + target.port()
                    + " did not answer: " + ex.getMessage());
                return Future.failedFuture(new ApiException(ErrorCode.CLI_UNREACHABLE,
                    "the CLI's login listener did not answer the callback"));
            });
    }

    /** Types a pasted code into the CLI, if it is waiting for one. */
    Future<JsonObject> submitCode(String code) {
        if (spec.relay() != RelayMode.PASTE_CODE || spec.code() == null) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_STATE,
                "provider " + spec.name() + " expects " + spec.relay().expects() + ", not a code"));
        }
        if (state != RunState.AWAITING_USER || !awaitingCode) {
            return Future.failedFuture(new ApiException(ErrorCode.NOT_AWAITING_CODE,
                "the CLI of run " + id + " is not waiting for a code (state " + state.wireName() + ")"));
        }
        CodeCheck.check(spec.code(), code, CallbackRelay.stateOf(authUrl));
        String trimmed = code.strip();
        secrets.add(trimmed);
        awaitingCode = false;
        move(RunState.VERIFYING, "code_submitted", new JsonObject().put("length", trimmed.length()));
        armTimer("finish", spec.timeouts().finishSeconds(), "the CLI to accept the code");
        return process.write(trimmed + spec.code().submitSuffix())
            .map(v -> new JsonObject().put("accepted", true))
            .recover(ex -> {
                fail("CLI_UNREACHABLE", "cannot type the code into the CLI: " + ex.getMessage());
                return Future.failedFuture(new ApiException(ErrorCode.CLI_UNREACHABLE, "the CLI is not running"));
            });
    }

    /** Completes once the CLI's process tree of a finished run is gone (at once while it still runs). */
    Future<Void> stopped() {
        return stopped;
    }

    Future<Void> cancel() {
        if (state.isTerminal()) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_STATE,
                "run " + id + " already ended as " + state.wireName()));
        }
        finish(RunState.CANCELLED, "cancelled", new JsonObject().put("reason", "cancelled through the API"));
        return Future.succeededFuture();
    }

    private void armTimer(String phase, int seconds, String waitingFor) {
        deps.vertx().cancelTimer(phaseTimer);
        phaseTimer = deps.vertx().setTimer(seconds * 1000L, t -> {
            if (!state.isTerminal()) {
                finish(RunState.TIMEOUT, "timeout", new JsonObject().put("phase", phase)
                    .put("afterSeconds", seconds).put("waitingFor", waitingFor));
            }
        });
    }

    private void fail(String code, String message) {
        if (state.isTerminal()) {
            return;
        }
        errorCode = code;
        errorMessage = Redact.text(message, secrets);
        finish(RunState.FAILED, "failed", new JsonObject().put("code", code).put("message", errorMessage));
    }

    private void finish(RunState terminal, String kind, JsonObject detail) {
        if (terminal == RunState.TIMEOUT) {
            errorCode = "TIMEOUT";
            errorMessage = "timed out after " + detail.getInteger("afterSeconds") + " s waiting for "
                + detail.getString("waitingFor");
        }
        if (move(terminal, kind, detail)) {
            deps.vertx().cancelTimer(phaseTimer);
            stopped = process.stop();
        }
    }

    private boolean move(RunState next, String kind, JsonObject detail) {
        if (!state.canMoveTo(next)) {
            return false;
        }
        RunState from = state;
        state = next;
        record(kind, detail.put("from", from.wireName()));
        log.info("run={} provider={} {} -> {} ({})", id, spec.name(), from.wireName(), next.wireName(), kind);
        return true;
    }

    private void record(String kind, JsonObject detail) {
        updatedAt = Instant.now();
        RunEvent e = events.append(kind, state, detail);
        deps.diagnostics().write(id, e);
    }

    /** The API view: no secret fields (Hono {@code stripPrivateInfo}). */
    JsonObject view() {
        JsonObject v = new JsonObject().put("id", id).put("provider", spec.name()).put("state", state.wireName())
            .put("terminal", state.isTerminal()).put("expects", spec.relay().expects())
            .put("awaitingInput", state == RunState.AWAITING_USER && (spec.relay() != RelayMode.PASTE_CODE
                || awaitingCode))
            .put("authUrl", authUrl).put("verificationUrl", verificationUrl).put("userCode", userCode)
            .put("exitCode", exitCode).put("account", account == null ? null : account.copy())
            .put("createdAt", createdAt.toString()).put("updatedAt", updatedAt.toString())
            .put("lastSeq", events.lastSeq());
        if (errorCode != null) {
            v.put("error", new JsonObject().put("code", errorCode).put("message", errorMessage));
        }
        return v;
    }

    Map<String, String> diagnosticsInfo() {
        return Map.of("diagnosticsFile", deps.diagnostics().fileOf(id).toString());
    }

    Path home() {
        return process.home();
    }
}

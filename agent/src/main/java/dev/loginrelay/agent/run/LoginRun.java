package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ScanRulesOf;
import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.provider.ProviderSpec.RelayMode;
import dev.loginrelay.agent.pty.PtyRunner;
import dev.loginrelay.agent.pty.ScanEvent;
import dev.loginrelay.agent.pty.TerminalScanner;
import dev.loginrelay.agent.relay.CallbackRelay;
import dev.loginrelay.agent.support.Redact;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One login attempt: owns its state, its events and its CLI process. Every method runs on the run's Vert.x context;
 * the PTY thread hops back with {@code runOnContext}, and blocking work (files, process start and kill, verification)
 * goes to worker threads. The user's step (a callback URL or a code) is accepted only in the state that expects it.
 */
public final class LoginRun {
    private static final long FAILURE_EXIT_GRACE_MS = 3000;
    /** How often a queued run retries the host lock when no release in this JVM wakes it (another agent holds it). */
    private static final long QUEUE_POLL_MS = 250;
    /** At most this many refusals are kept per run: a client that loops cannot grow the timeline without end. */
    private static final int MAX_REFUSAL_EVENTS = 20;

    private final String id;
    /** The session this run serves: its id, or the session that adopted it when it was started ahead. */
    private String sessionId;
    private final ProviderSpec spec;
    private final RunDeps deps;
    private final RunLifecycle life;
    /** Values seen in this run that must never be shown: pasted codes, relayed callback codes. */
    private final Set<String> secrets = ConcurrentHashMap.newKeySet();
    private final RunProcess process;
    private final RunUserStep step;
    private boolean verifying;
    private Integer exitCode;
    private JsonObject account;
    private String[] cliFailure;
    private Future<Void> stopped = Future.succeededFuture();
    private int refusals;
    /** While queued: the retry timer, and the wake-up a release of the lock in this JVM sends. */
    private long lockTimer = -1;
    private io.vertx.core.eventbus.MessageConsumer<String> lockReleased;
    private boolean lockTrying;

    LoginRun(String id, ProviderSpec spec, RunDeps deps) {
        this.id = id;
        this.sessionId = id;
        this.spec = spec;
        this.deps = deps;
        this.process = new RunProcess(id, spec, deps);
        this.step = new RunUserStep(id, spec);
        this.life = new RunLifecycle(id, spec, deps, secrets, () -> stopped = process.stop());
    }

    /** The run's own id: its work dir {@code sessions/<id>} and diagnostics file. */
    public String id() {
        return id;
    }

    /**
     * True when a session can take this run, started ahead: its link is out and nobody has answered it yet (the
     * CLI's state and PKCE were minted for this run alone, and no one has seen them).
     */
    boolean adoptable() {
        return life.state() == RunState.AWAITING_USER && step.linkShown();
    }

    /**
     * Gives this started-ahead run to {@code session}: from now on it is that session's login, with the user's full
     * time to answer from this moment.
     */
    void adopt(String session, long startedAheadMs) {
        sessionId = session;
        life.record(EventKind.ADOPTED, new JsonObject().put("sessionId", session).put("startedAheadMs", startedAheadMs));
        life.armTimer("user", spec.timeouts().userSeconds(), "the user's " + spec.relay().expects());
        // An operator looks for a session's HOME and diagnostics by its id: point those names at this run's.
        Path sessionDir = RunHome.sessionDir(deps.config(), id);
        Path log = deps.diagnostics().fileOf(id);
        deps.vertx().executeBlocking(() -> {
            java.nio.file.Files.createSymbolicLink(sessionDir.resolveSibling(session), sessionDir.getFileName());
            java.nio.file.Files.createSymbolicLink(log.resolveSibling(session + ".log"), log.getFileName());
            return null;
        }, false).onFailure(e -> org.slf4j.LoggerFactory.getLogger(LoginRun.class)
            .warn("run={} session={}: cannot link the session's names to the run's dirs: {}", id, session,
                e.toString()));
    }

    public ProviderSpec spec() {
        return spec;
    }

    public RunState state() {
        return life.state();
    }

    Instant updatedAt() {
        return life.updatedAt();
    }

    EventLog events() {
        return life.events();
    }

    void start() {
        life.record(EventKind.STARTED, new JsonObject().put("provider", spec.name())
            .put("relay", spec.relay().wireName()));
        if (spec.exclusive() == null) {
            launch();
        } else {
            acquireHostLock();
        }
    }

    private void acquireHostLock() {
        if (lockTrying) {
            return;
        }
        lockTrying = true;
        deps.vertx().cancelTimer(lockTimer);
        process.tryLock(spec.exclusive()).onComplete(ar -> {
            lockTrying = false;
            if (life.state().isTerminal()) {
                stopWaitingForLock();
                process.release();
            } else if (ar.succeeded() && ar.result()) {
                stopWaitingForLock();
                life.move(RunState.STARTING, EventKind.DEQUEUED, new JsonObject());
                launch();
            } else {
                if (ar.failed()) {
                    stopWaitingForLock();
                    life.fail(RunFailure.LOCK_FAILED, "cannot take host lock " + spec.exclusive() + ": "
                        + ar.cause().getMessage());
                    return;
                }
                if (life.state() != RunState.QUEUED) {
                    life.move(RunState.QUEUED, EventKind.QUEUED, new JsonObject().put("group", spec.exclusive())
                        .put("reason",
                        "another " + spec.name() + " login holds " + spec.exclusive() + " on this host"));
                    life.armTimer("queue", spec.timeouts().userSeconds(), "the host lock " + spec.exclusive());
                    // A login of this agent that frees the lock wakes the line at once (no poll interval lost).
                    lockReleased = deps.vertx().eventBus().localConsumer(RunProcess.lockReleasedAddress(
                        spec.exclusive()), m -> acquireHostLock());
                }
                lockTimer = deps.vertx().setTimer(QUEUE_POLL_MS, t -> acquireHostLock());
            }
        });
    }

    private void stopWaitingForLock() {
        deps.vertx().cancelTimer(lockTimer);
        if (lockReleased != null) {
            lockReleased.unregister();
            lockReleased = null;
        }
    }

    private void launch() {
        life.armTimer("start", spec.timeouts().startSeconds(), waitingForAtStart());
        process.launch(new TerminalScanner(ScanRulesOf.of(spec)),
            scan -> deps.context().runOnContext(v -> scan.forEach(this::onScan)),
            code -> deps.context().runOnContext(v -> onExit(code)),
            err -> deps.context().runOnContext(v -> life.fail(RunFailure.CLI_START_FAILED, err)))
            .onSuccess(cmd -> life.record(EventKind.CLI_STARTED, new JsonObject().put("command", cmd)))
            .onFailure(e -> life.fail(RunFailure.CLI_START_FAILED, e.getMessage()));
    }

    private String waitingForAtStart() {
        return spec.relay() == RelayMode.DEVICE_CODE
            ? "the device code (patterns detect.verificationUrl and detect.userCode)"
            : "the auth URL (pattern detect.authUrl: " + spec.detect().authUrl() + ")";
    }

    private void onScan(ScanEvent e) {
        if (life.state().isTerminal()) {
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
        boolean retry;
        try {
            retry = step.authUrl(url);
        } catch (IllegalArgumentException ex) {
            life.fail(RunFailure.AUTH_URL_UNUSABLE, "the CLI printed an auth URL without a loopback redirect: "
                + ex.getMessage());
            return;
        }
        JsonObject detail = new JsonObject().put("authUrl", url).put("expects", spec.relay().expects())
            .put("retry", retry);
        if (!life.move(RunState.AWAITING_USER, EventKind.AUTH_URL_READY, detail)) {
            life.record(EventKind.AUTH_URL_READY, detail);
        }
        life.armTimer("user", spec.timeouts().userSeconds(), "the user's " + spec.relay().expects());
        if (spec.relay() == RelayMode.LOOPBACK_CALLBACK) {
            life.record(EventKind.AWAITING_INPUT, new JsonObject().put("expects", "callback_url"));
        }
    }

    private void onDeviceCode(String url, String code) {
        step.deviceCode(url, code);
        life.move(RunState.AWAITING_USER, EventKind.DEVICE_CODE_READY,
            new JsonObject().put("verificationUrl", url).put("userCode", code).put("expects", "none"));
        life.armTimer("user", spec.timeouts().userSeconds(), "the user to enter the device code");
    }

    private void answerPrompt(String name, String answer) {
        process.write(answer)
            .onSuccess(v -> life.record(EventKind.PROMPT_ANSWERED, new JsonObject().put("prompt", name)))
            .onFailure(ex -> life.fail(RunFailure.CLI_UNREACHABLE,
                "cannot answer prompt " + name + ": " + ex.getMessage()));
    }

    private void onAwaitingInput() {
        if (step.codeAwaited()) {
            if (life.state() == RunState.VERIFYING) {
                life.move(RunState.AWAITING_USER, EventKind.AWAITING_INPUT, new JsonObject().put("expects", "code"));
                life.armTimer("user", spec.timeouts().userSeconds(), "the user's code");
            } else {
                life.record(EventKind.AWAITING_INPUT, new JsonObject().put("expects", "code"));
            }
        }
    }

    private void onSuccessText() {
        life.record(EventKind.CLI_REPORTED_SUCCESS, new JsonObject().put("trusted", false));
        if (spec.success().endProcessOnCredentials()) {
            verifyAndFinish();
        }
    }

    private void onFailureText(String code, String message) {
        String msg = Redact.text(message, secrets);
        if (code.startsWith(ScanRulesOf.ATTEMPT)) {
            JsonObject d = new JsonObject().put("code", code.substring(ScanRulesOf.ATTEMPT.length()))
                .put("reason", code.substring(ScanRulesOf.ATTEMPT.length())).put("message", msg);
            // The CLI refused the code or callback and asks again: the user's turn, not "verifying" any more.
            if (!life.move(RunState.AWAITING_USER, EventKind.ATTEMPT_FAILED, d)) {
                life.record(EventKind.ATTEMPT_FAILED, d);
            } else {
                life.armTimer("user", spec.timeouts().userSeconds(), "the user's " + spec.relay().expects());
            }
            return;
        }
        if (cliFailure == null) {
            cliFailure = new String[] {code, msg};
            // Most CLIs exit right after their error line; give them a moment so the exit code is recorded too.
            deps.vertx().setTimer(FAILURE_EXIT_GRACE_MS, t -> {
                if (!life.state().isTerminal()) {
                    life.fail(cliFailure[0], cliFailure[1]);
                }
            });
        }
    }

    private void onExit(int code) {
        if (life.state().isTerminal() || code == -1 && exitCode != null) {
            return;
        }
        exitCode = code;
        life.record(EventKind.CLI_EXITED, new JsonObject().put("exitCode", code));
        List<Integer> ok = spec.success().exitCodes();
        if (cliFailure != null) {
            life.fail(cliFailure[0], cliFailure[1]);
        } else if (!ok.isEmpty() && !ok.contains(code)) {
            String last = process.lastLine();
            life.fail(RunFailure.CLI_EXITED, spec.command().get(0) + " exited with code " + code
                + " before the login finished" + (last.isEmpty() ? "" : "; its last line: " + last));
        } else {
            verifyAndFinish();
        }
    }

    private void verifyAndFinish() {
        if (verifying || life.state().isTerminal()) {
            return;
        }
        verifying = true;
        if (!life.move(RunState.VERIFYING, EventKind.VERIFYING, new JsonObject())) {
            life.record(EventKind.VERIFYING, new JsonObject());
        }
        life.armTimer("finish", spec.timeouts().finishSeconds(), "the credentials to be verified");
        process.verify(spec.timeouts().finishSeconds() * 1000L).onComplete(ar -> {
            verifying = false;
            if (life.state().isTerminal()) {
                return;
            }
            Verifier.Result r = ar.succeeded() ? ar.result() : Verifier.Result.fail(RunFailure.VERIFY_FAILED,
                String.valueOf(ar.cause().getMessage()));
            if (r.ok()) {
                account = r.account();
                life.finish(RunState.READY, EventKind.READY, new JsonObject().put("account", account.copy())
                    .put("credentialsHome", process.home() == null ? null : process.home().toString()));
            } else if (process.isAlive() && !spec.success().endProcessOnCredentials()) {
                // The CLI is still working (e.g. it printed success before writing the file): wait for its exit.
                life.record(EventKind.VERIFY_PENDING, new JsonObject().put("reason", r.message()));
            } else {
                life.fail(r.errorCode(), r.message());
            }
        });
    }

    /**
     * Takes the user's callback URL and relays it to the CLI's loopback listener. Answers as soon as the callback is
     * accepted for relaying; how the CLI took it arrives as events (and the run's state). A refused callback is an
     * event with its reason, and the failed future carries the same code.
     */
    Future<JsonObject> relayCallback(String url) {
        String pathAndQuery;
        try {
            pathAndQuery = step.takeCallback(url, life.state());
        } catch (ApiException e) {
            refused(EventKind.CALLBACK_REFUSED, e);
            return Future.failedFuture(e);
        }
        CallbackRelay.Target target = step.target();
        secrets.addAll(CallbackRelay.secretsOf(pathAndQuery));
        life.move(RunState.VERIFYING, EventKind.CALLBACK_RECEIVED, new JsonObject().put("path", target.path()));
        life.armTimer("finish", spec.timeouts().finishSeconds(), "the CLI to finish after the callback");
        long timeoutMs = spec.timeouts().finishSeconds() * 1000L;
        deps.relay().relay(target, pathAndQuery, spec.callback().followLocalRedirects(), timeoutMs)
            .onComplete(ar -> afterRelay(target, ar));
        return Future.succeededFuture(new JsonObject().put("accepted", true));
    }

    private void afterRelay(CallbackRelay.Target target, io.vertx.core.AsyncResult<CallbackRelay.Result> ar) {
        if (life.state().isTerminal()) {
            return;
        }
        if (ar.failed()) {
            life.fail(RunFailure.CLI_UNREACHABLE, "the CLI's listener on " + target.host() + ":" + target.port()
                + " did not answer: " + ar.cause().getMessage());
            return;
        }
        CallbackRelay.Result r = ar.result();
        life.record(EventKind.CALLBACK_RELAYED, new JsonObject().put("cliStatus", r.cliStatus())
            .put("followed", r.followedPath()).put("followedStatus", r.followedStatus()));
        if (r.cliStatus() >= 400 && life.state() == RunState.VERIFYING && process.isAlive()) {
            // The CLI said no but still listens (a wrong state, an error callback): back to the user, with its words.
            step.reopenCallback();
            life.move(RunState.AWAITING_USER, EventKind.CALLBACK_REJECTED, new JsonObject()
                .put("reason", "CLI_REJECTED").put("cliStatus", r.cliStatus())
                .put("message", Redact.text(r.cliMessage(), secrets)).put("expects", "callback_url"));
            life.armTimer("user", spec.timeouts().userSeconds(), "the user's " + spec.relay().expects());
        }
    }

    private void refused(EventKind kind, ApiException e) {
        if (life.state().isTerminal() || ++refusals > MAX_REFUSAL_EVENTS) {
            return;
        }
        life.record(kind, new JsonObject().put("reason", e.code().name())
            .put("message", Redact.text(e.getMessage(), secrets)));
    }

    /** Types a pasted code into the CLI, if it is waiting for one. */
    Future<JsonObject> submitCode(String code) {
        String trimmed;
        try {
            trimmed = step.takeCode(code, life.state());
        } catch (ApiException e) {
            refused(EventKind.CODE_REFUSED, e);
            return Future.failedFuture(e);
        }
        secrets.add(trimmed);
        life.move(RunState.VERIFYING, EventKind.CODE_SUBMITTED, new JsonObject().put("length", trimmed.length()));
        life.armTimer("finish", spec.timeouts().finishSeconds(), "the CLI to accept the code");
        return process.write(trimmed + spec.code().submitSuffix())
            .map(v -> new JsonObject().put("accepted", true))
            .recover(ex -> {
                life.fail(RunFailure.CLI_UNREACHABLE, "cannot type the code into the CLI: " + ex.getMessage());
                return Future.failedFuture(new ApiException(ErrorCode.CLI_UNREACHABLE, "the CLI is not running"));
            });
    }

    /** Completes once the CLI's process tree of a finished run is gone (at once while it still runs). */
    Future<Void> stopped() {
        return stopped;
    }

    Future<Void> cancel() {
        if (life.state().isTerminal()) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_STATE,
                "run " + id + " already ended as " + life.state().wireName()));
        }
        life.finish(RunState.CANCELLED, EventKind.CANCELLED,
            new JsonObject().put("reason", "cancelled through the API"));
        return Future.succeededFuture();
    }

    /** Whether a session's login waits for the host lock this run's provider takes (none: false). */
    Future<Boolean> sessionWaitsForHostLock() {
        return process.sessionWaiting();
    }

    /** Ends a run no session asked for (started ahead and not taken, or the agent stopping): cancelled. */
    void discard(String reason) {
        if (!life.state().isTerminal()) {
            life.finish(RunState.CANCELLED, EventKind.CANCELLED, new JsonObject().put("reason", reason));
        }
    }

    /** The API view: no secret fields (Hono {@code stripPrivateInfo}). */
    JsonObject view() {
        return life.view(step.view(new JsonObject().put("id", sessionId).put("provider", spec.name()), life.state())
            .put("exitCode", exitCode).put("account", account == null ? null : account.copy()));
    }

    Path home() {
        return process.home();
    }
}

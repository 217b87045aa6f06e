package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test identity provider for the real CLIs, served behind {@link MitmProxy}: it answers like each provider's token,
 * profile and userinfo endpoints, for OpenAI ({@code auth.openai.com}, through {@link FakeCodexIssuer}, which also
 * serves codex's device flow over plain HTTP), Anthropic ({@link FakeClaudeApi}), Google ({@link FakeGoogleApi}) and
 * GitHub ({@link FakeGitHubApi}, scripted through {@link #github()}).
 * The shapes replay what the real CLIs asked a fake for when they were recorded ({@code docs/cli-facts.md} §7,
 * "What the CLIs asked the fake for"; {@code docs/cli-copilot.md} for Copilot).
 *
 * <p>The outcome of every token endpoint is scripted ({@link #outcome}: approve, deny, invalid_grant, 500) and can be
 * made slow ({@link #slow}); with {@link Outcome#APPROVE} a code the fake did not issue is still rejected as
 * {@code invalid_grant}, as a real provider does. All tokens and codes are random per instance
 * ({@link #issuedSecrets()}), and every request is recorded ({@link #requests()}) so tests can assert what the CLI
 * sent. Any other host (update checks, telemetry) gets a quick 404.
 */
public final class FakeIdentityProvider implements MitmProxy.Handler, AutoCloseable {
    /** What the token endpoints answer to a code. */
    public enum Outcome {
        /** Tokens for the code this fake issued; {@code invalid_grant} for any other code. */
        APPROVE,
        /** {@code 400 access_denied} (codex's device flow: the poll is denied). */
        DENY,
        /** {@code 400 invalid_grant} for every code, in the provider's own words. */
        INVALID_GRANT,
        /** {@code 500 server_error}. */
        SERVER_ERROR
    }

    /** The scripted behaviour, shared by the per-provider handlers; changes apply to later requests. */
    static final class Script {
        private volatile Outcome outcome = Outcome.APPROVE;
        private volatile Duration delay = Duration.ZERO;

        /** The failure the current outcome asks for, or null to go on (check the code). */
        MitmProxy.Reply tokenFailure(MitmProxy.Reply invalidGrant) {
            switch (outcome) {
                case DENY:
                    return MitmProxy.Reply.json(400,
                        "{\"error\":\"access_denied\",\"error_description\":\"The user denied access\"}");
                case INVALID_GRANT:
                    return invalidGrant;
                case SERVER_ERROR:
                    return MitmProxy.Reply.json(500, "{\"error\":\"server_error\"}");
                default:
                    return null;
            }
        }
    }

    private static final Set<String> TOKEN_PATHS = Set.of("/oauth/token", "/v1/oauth/token", "/token");
    private static final Set<String> OPENAI_HOSTS = Set.of("auth.openai.com");

    private final Script script = new Script();
    private final FakeCodexIssuer codex = FakeCodexIssuer.start();
    private final FakeClaudeApi claude = new FakeClaudeApi(script);
    private final FakeGoogleApi google = new FakeGoogleApi(script);
    private final FakeGitHubApi github = new FakeGitHubApi();
    private final List<MitmProxy.Exchange> requests = new CopyOnWriteArrayList<>();

    private FakeIdentityProvider() {
        codex.jwtAccessToken();
    }

    /** A fresh provider that approves; its codex issuer also listens on 127.0.0.1 ({@link FakeCodexIssuer#baseUrl}). */
    public static FakeIdentityProvider start() {
        return new FakeIdentityProvider();
    }

    /** Scripts every token endpoint (codex's device poll too, for {@link Outcome#DENY}). */
    public FakeIdentityProvider outcome(Outcome value) {
        script.outcome = Objects.requireNonNull(value, "outcome");
        codex.approve();
        switch (value) {
            case DENY:
                codex.deny().failTokenExchange(400,
                    "{\"error\":\"access_denied\",\"error_description\":\"The user denied access\"}");
                break;
            case INVALID_GRANT:
                codex.failTokenExchange(400, FakeCodexIssuer.INVALID_GRANT);
                break;
            case SERVER_ERROR:
                codex.failTokenExchange(500, "{\"error\":\"server_error\"}");
                break;
            default:
                break;
        }
        return this;
    }

    /** Token endpoints answer only after {@code delay} (a slow provider). */
    public FakeIdentityProvider slow(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay cannot be negative: " + delay);
        }
        script.delay = delay;
        return this;
    }

    /** The account's email at every provider. */
    public FakeIdentityProvider email(String value) {
        Objects.requireNonNull(value, "email");
        codex.email(value);
        claude.email = value;
        google.email = value;
        return this;
    }

    /** OpenAI's side: its authorization code, tokens, plan; also a plain-HTTP issuer for the device flow. */
    public FakeCodexIssuer codex() {
        return codex;
    }

    /** The code Anthropic's page would show (before the {@code #STATE}); the token endpoint accepts only it. */
    public String claudeCode() {
        return claude.code;
    }

    /** GitHub's side: the device flow and the account the Copilot CLI reads. */
    public FakeGitHubApi github() {
        return github;
    }

    /** The code Google's page would show; the token endpoint accepts only it. */
    public String googleCode() {
        return google.code;
    }

    /** What the fake Gemini model (Code Assist's {@code streamGenerateContent}) answers a signed-in CLI. */
    public static String geminiModelReply() {
        return FakeGoogleApi.MODEL_REPLY;
    }

    /** Every code and token this fake issued, plus the PKCE verifiers the CLIs sent: none may show up anywhere. */
    public List<String> issuedSecrets() {
        List<String> out = new ArrayList<>(List.of(codex.authorizationCode(), codex.accessToken(),
            codex.refreshToken(), codex.idToken(), codex.apiKey(), codex.codeVerifier(),
            claude.code, claude.accessToken, claude.refreshToken,
            google.code, google.accessToken, google.refreshToken, google.idToken(),
            github.deviceCode, github.accessToken));
        for (MitmProxy.Exchange x : requests) {
            String verifier = verifierIn(x.body());
            if (verifier != null) {
                out.add(verifier);
            }
        }
        return List.copyOf(out);
    }

    /** Every request so far, oldest first. */
    public List<MitmProxy.Exchange> requests() {
        return List.copyOf(requests);
    }

    /** The requests to one host, as {@code "METHOD /path"}, oldest first. */
    public List<String> routes(String host) {
        return requests.stream().filter(x -> x.host().equals(host)).map(x -> x.method() + " " + x.path()).toList();
    }

    @Override
    public MitmProxy.Reply handle(MitmProxy.Exchange x) {
        requests.add(x);
        if (TOKEN_PATHS.contains(x.path()) && !script.delay.isZero()) {
            try {
                Thread.sleep(script.delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return MitmProxy.Reply.json(503, "{\"error\":\"interrupted\"}");
            }
        }
        if (OPENAI_HOSTS.contains(x.host())) {
            return codex.answer(x.method(), x.path(), x.body());
        }
        if (FakeClaudeApi.HOSTS.contains(x.host())) {
            return claude.answer(x);
        }
        if (FakeGoogleApi.HOSTS.contains(x.host())) {
            return google.answer(x);
        }
        if (FakeGitHubApi.HOSTS.contains(x.host())) {
            return github.answer(x);
        }
        return new MitmProxy.Reply(404, Map.of("Content-Type", "text/plain"),
            "Not Found".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        codex.close();
    }

    private static String verifierIn(String body) {
        int i = body.indexOf("code_verifier");
        if (i < 0) {
            return null;
        }
        if (body.startsWith("{")) {
            return new JsonObject(body).getString("code_verifier");
        }
        return FakeTokens.form(body).get("code_verifier");
    }
}

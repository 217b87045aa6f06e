package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.loginrelay.agent.testing.fakes.FakeTokens.q;

/**
 * A fake OAuth issuer that the real Codex CLI (0.169.0) completes its device-code login against without leaving
 * 127.0.0.1: {@code codex login --device-auth --experimental_issuer <baseUrl()>}. It answers what codex asks
 * (see {@code docs/cli-facts.md} §1 "Device-code flow"):
 * <ol>
 *   <li>{@code POST /api/accounts/deviceauth/usercode} → {@code {device_auth_id, user_code, interval: "1"}};</li>
 *   <li>{@code POST /api/accounts/deviceauth/token}, polled every second → 403 {@code authorization_pending}
 *       until approved, then {@code {authorization_code, code_challenge, code_verifier}};</li>
 *   <li>{@code POST /oauth/token}: {@code grant_type=authorization_code} → {@code {id_token, access_token,
 *       refresh_token}}; the token-exchange grant (only codex's browser flow sends it) →
 *       {@code {access_token: "sk-…"}}.</li>
 * </ol>
 * What codex requires of the id_token, found by trying variants against the real binary: three dot-separated,
 * non-empty parts (an empty signature fails with {@code invalid ID token format}) whose middle part is a base64url
 * JSON object. It checks no signature, header, iss, aud or exp. Without the {@code https://api.openai.com/auth}
 * object it still logs in but prints {@code JWT payload missing expected 'https://api.openai.com/auth' object};
 * that object's {@code chatgpt_account_id} becomes {@code tokens.account_id} in auth.json.
 *
 * <p>The browser flow ignores {@code --experimental_issuer} and always talks to {@code https://auth.openai.com}:
 * there {@link FakeIdentityProvider} hands codex's requests to {@link #answer} from behind {@link MitmProxy}
 * ({@code docs/cli-facts.md} §7: the code exchange, then the token exchange).
 *
 * <p>The outcome is scripted per instance ({@link #approveAfterPolls}, {@link #deny}, {@link #failTokenExchange}),
 * every value is settable, and the tokens are random per instance so redaction tests can look for them. Every
 * request is recorded ({@link #requests()}). Setters may be called while codex runs; they apply to later requests.
 */
public final class FakeCodexIssuer implements AutoCloseable {
    /** The OAuth client id codex sends (its built-in one). */
    public static final String CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
    /** The body the real issuer sends for a bad code; codex prints its {@code error_description}. */
    public static final String INVALID_GRANT =
        "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid authorization code\"}";
    private static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    /** The organization and project in the id_token; codex puts them into its {@code /success} redirect. */
    public static final String ORGANIZATION_ID = "org-fake";
    public static final String PROJECT_ID = "proj-fake";
    private static final String NOT_FOUND = "{\"error\":\"not_found\"}";

    /** One request as received: method, path (no query) and body. */
    public record Request(String method, String path, String body) {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(body, "body");
        }
    }

    private record Reply(int status, String json) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger polls = new AtomicInteger();
    private final long issuedAt = Instant.now().getEpochSecond();
    private final String deviceAuthId = "devauth-" + FakeTokens.random(12);
    private final String authorizationCode = "authcode-" + FakeTokens.random(24);
    private final String codeVerifier = FakeTokens.random(48);
    private volatile String userCode = "FAKE-" + (1000 + FakeTokens.randomInt(9000));
    private volatile String email = "fake.user@example.com";
    private volatile String plan = "plus";
    private final String accountId = "acct-" + FakeTokens.random(9);
    private final String userId = "user-" + FakeTokens.random(9);
    private volatile String accessToken = "fake-access-" + FakeTokens.random(24);
    private volatile String refreshToken = "fake-refresh-" + FakeTokens.random(24);
    private volatile String apiKey = "sk-fake-" + FakeTokens.random(24);
    private volatile int pendingPolls = 1;
    private volatile boolean denied;
    private volatile Reply tokenFailure;

    private FakeCodexIssuer(HttpServer server) {
        this.server = server;
    }

    /** Starts an issuer on 127.0.0.1 and a free port. */
    public static FakeCodexIssuer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            FakeCodexIssuer issuer = new FakeCodexIssuer(server);
            server.createContext("/", issuer::handle);
            server.start();
            return issuer;
        } catch (IOException e) {
            throw new UncheckedIOException("fake codex issuer could not bind 127.0.0.1", e);
        }
    }

    /** The value for codex's {@code --experimental_issuer}, e.g. {@code http://127.0.0.1:41234}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many token polls answer {@code authorization_pending} before approval (default 1; 0 approves at once). */
    public FakeCodexIssuer approveAfterPolls(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("approveAfterPolls cannot be negative: " + n);
        }
        pendingPolls = n;
        return this;
    }

    /** Undoes {@link #deny} and {@link #failTokenExchange}: polls approve and good codes get tokens again. */
    public FakeCodexIssuer approve() {
        denied = false;
        tokenFailure = null;
        return this;
    }

    /** The poll that would approve answers 400 instead; codex prints "device auth failed with status 400". */
    public FakeCodexIssuer deny() {
        denied = true;
        return this;
    }

    /** The authorization_code grant answers {@code status} with this JSON body (e.g. {@link #INVALID_GRANT}). */
    public FakeCodexIssuer failTokenExchange(int status, String jsonBody) {
        tokenFailure = new Reply(status, Objects.requireNonNull(jsonBody, "jsonBody"));
        return this;
    }

    public FakeCodexIssuer userCode(String value) {
        userCode = Objects.requireNonNull(value, "userCode");
        return this;
    }

    public FakeCodexIssuer email(String value) {
        email = Objects.requireNonNull(value, "email");
        return this;
    }

    public FakeCodexIssuer plan(String value) {
        plan = Objects.requireNonNull(value, "plan");
        return this;
    }

    public FakeCodexIssuer accessToken(String value) {
        accessToken = Objects.requireNonNull(value, "accessToken");
        return this;
    }

    /**
     * Makes the access token a JWT carrying the {@code https://api.openai.com/auth} claims, as OpenAI's are: codex's
     * browser flow reads its claims to build the {@code /success} redirect and otherwise prints
     * {@code Invalid JWT format while extracting claims} (the device flow does not look).
     */
    public FakeCodexIssuer jwtAccessToken() {
        accessToken = FakeTokens.jwt(String.format("{\"iss\":\"https://auth.openai.com\","
                + "\"aud\":[\"https://api.openai.com/v1\"],\"sub\":%s,\"iat\":%d,\"exp\":%d,\"jti\":%s,"
                + "\"https://api.openai.com/auth\":{\"chatgpt_plan_type\":%s,\"chatgpt_account_id\":%s,"
                + "\"user_id\":%s}}",
            q(userId), issuedAt, issuedAt + 3600, q("fake-access-" + FakeTokens.random(24)), q(plan), q(accountId),
            q(userId)));
        return this;
    }

    public FakeCodexIssuer refreshToken(String value) {
        refreshToken = Objects.requireNonNull(value, "refreshToken");
        return this;
    }

    public String userCode() {
        return userCode;
    }

    public String email() {
        return email;
    }

    public String plan() {
        return plan;
    }

    public String accountId() {
        return accountId;
    }

    public String accessToken() {
        return accessToken;
    }

    public String refreshToken() {
        return refreshToken;
    }

    /** The API key the token-exchange grant hands out. */
    public String apiKey() {
        return apiKey;
    }

    /** The code the approving poll hands out and {@code /oauth/token} accepts. */
    public String authorizationCode() {
        return authorizationCode;
    }

    /** The PKCE verifier the approving poll hands out; codex sends it back to {@code /oauth/token}. */
    public String codeVerifier() {
        return codeVerifier;
    }

    /** The id_token {@code /oauth/token} answers with, for the current values: an unsigned JWT (alg none). */
    public String idToken() {
        String claims = String.format("{\"iss\":%s,\"aud\":[%s],\"sub\":%s,\"email\":%s,\"email_verified\":true,"
                + "\"iat\":%d,\"exp\":%d,\"https://api.openai.com/auth\":{\"chatgpt_plan_type\":%s,"
                + "\"chatgpt_account_id\":%s,\"chatgpt_user_id\":%s,\"user_id\":%s,\"organization_id\":%s,"
                + "\"project_id\":%s,\"completed_platform_onboarding\":true,\"is_org_owner\":false}}",
            q(baseUrl()), q(CODEX_CLIENT_ID), q(userId), q(email), issuedAt, issuedAt + 3600, q(plan), q(accountId),
            q(userId), q(userId), q(ORGANIZATION_ID), q(PROJECT_ID));
        return FakeTokens.jwt(claims);
    }

    /** Every request so far, oldest first. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /**
     * Answers one request as the issuer (and records it): what its own HTTP server does, and what
     * {@link FakeIdentityProvider} calls for {@code https://auth.openai.com} behind {@link MitmProxy}.
     */
    public MitmProxy.Reply answer(String method, String path, String body) {
        requests.add(new Request(method, path, body));
        Reply reply = "POST".equals(method) ? route(path, body) : new Reply(404, NOT_FOUND);
        return MitmProxy.Reply.json(reply.status(), reply.json());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            MitmProxy.Reply reply = answer(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), reply.body().length);
            exchange.getResponseBody().write(reply.body());
        } finally {
            exchange.close();
        }
    }

    private Reply route(String path, String body) {
        return switch (path) {
            case "/api/accounts/deviceauth/usercode" -> new Reply(200, String.format(
                "{\"device_auth_id\":%s,\"user_code\":%s,\"interval\":\"1\"}", q(deviceAuthId), q(userCode)));
            case "/api/accounts/deviceauth/token" -> poll();
            case "/oauth/token" -> token(FakeTokens.form(body));
            default -> new Reply(404, NOT_FOUND);
        };
    }

    private Reply poll() {
        if (polls.incrementAndGet() <= pendingPolls) {
            return new Reply(403, "{\"error\":\"authorization_pending\"}");
        }
        if (denied) {
            return new Reply(400, "{\"error\":\"access_denied\",\"error_description\":\"The user denied access\"}");
        }
        return new Reply(200, String.format("{\"authorization_code\":%s,\"code_challenge\":%s,\"code_verifier\":%s}",
            q(authorizationCode), q(s256(codeVerifier)), q(codeVerifier)));
    }

    private Reply token(Map<String, String> form) {
        String grant = form.getOrDefault("grant_type", "");
        if (grant.equals(TOKEN_EXCHANGE)) {
            return new Reply(200, "{\"access_token\":" + q(apiKey) + "}");
        }
        if (!grant.equals("authorization_code")) {
            return new Reply(400, "{\"error\":\"unsupported_grant_type\"}");
        }
        Reply failure = tokenFailure;
        if (failure != null) {
            return failure;
        }
        if (!authorizationCode.equals(form.get("code"))) {
            return new Reply(400, INVALID_GRANT);
        }
        return new Reply(200, String.format("{\"id_token\":%s,\"access_token\":%s,\"refresh_token\":%s}",
            q(idToken()), q(accessToken), q(refreshToken)));
    }

    private static String s256(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}

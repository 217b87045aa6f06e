package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.loginrelay.agent.testing.fakes.FakeTokens.q;

/**
 * GitHub's side of a GitHub Copilot CLI 1.0.102 device login ({@code copilot login --device-code}), as the CLI asked
 * for it through the proxy: {@code POST github.com/login/device/code} (form: {@code client_id}, {@code scope}), then
 * {@code POST github.com/login/oauth/access_token} polls (form, {@code grant_type=...:device_code}), then
 * {@code GET api.github.com/copilot_internal/user} with the new token (its {@code login} is the account the CLI
 * saves) and {@code GET api.github.com/copilot_internal/managed_settings} (a 404 is fine). {@code GET
 * api.github.com/user} is answered too, although 1.0.102 does not ask for it.
 *
 * <p>Polls answer {@code authorization_pending} until {@link #approveAfterPolls} polls were seen, then tokens; or,
 * once denied ({@link #deny}), {@code access_denied}; or, after the code's lifetime ({@link #expiresIn}),
 * {@code expired_token}. Errors are HTTP 200 with an {@code error} field, as GitHub sends them.
 */
public final class FakeGitHubApi {
    static final List<String> HOSTS = List.of("github.com", "api.github.com");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CODE_CHARS = "BCDFGHJKLMNPQRSTVWXZ0123456789";

    final String deviceCode = FakeTokens.random(20);
    final String accessToken = "gho_fake" + FakeTokens.random(24).replace('-', 'x').replace('_', 'y');
    private final String userCode = codePart() + "-" + codePart();
    private final AtomicInteger polls = new AtomicInteger();
    private volatile int approveAfterPolls = 1;
    private volatile boolean denied;
    private volatile int expiresInSeconds = 899;
    private volatile long issuedAtNanos;
    private volatile boolean hasCopilot = true;
    volatile String login = "octo-fake";

    FakeGitHubApi() {
    }

    /** The first {@code n} polls answer {@code authorization_pending}; later ones get tokens (unless denied). */
    public FakeGitHubApi approveAfterPolls(int n) {
        approveAfterPolls = n;
        return this;
    }

    /** From now on every poll answers {@code access_denied}: the user pressed "Cancel" on GitHub's page. */
    public FakeGitHubApi deny() {
        denied = true;
        return this;
    }

    /** The {@code expires_in} of the next device code; polls after it answer {@code expired_token}. */
    public FakeGitHubApi expiresIn(int seconds) {
        expiresInSeconds = seconds;
        return this;
    }

    /** Whether the account has Copilot: without it {@code copilot_internal/user} answers 404. */
    public FakeGitHubApi hasCopilot(boolean value) {
        hasCopilot = value;
        return this;
    }

    /** The GitHub login of the account. */
    public FakeGitHubApi login(String value) {
        login = value;
        return this;
    }

    /** The one-time code the device flow shows, {@code XXXX-XXXX}. */
    public String userCode() {
        return userCode;
    }

    /** The token the fake hands out after approval (a secret: it must show up nowhere but the CLI's file). */
    public String accessToken() {
        return accessToken;
    }

    /** How many times the CLI polled the token endpoint so far. */
    public int polls() {
        return polls.get();
    }

    MitmProxy.Reply answer(MitmProxy.Exchange x) {
        String route = x.method() + " " + x.host() + x.path();
        switch (route) {
            case "POST github.com/login/device/code":
                issuedAtNanos = System.nanoTime();
                return MitmProxy.Reply.json(200, String.format("{\"device_code\":%s,\"user_code\":%s,"
                    + "\"verification_uri\":\"https://github.com/login/device\",\"expires_in\":%d,\"interval\":1}",
                    q(deviceCode), q(userCode), expiresInSeconds));
            case "POST github.com/login/oauth/access_token":
                return poll(FakeTokens.form(x.body()));
            case "GET api.github.com/copilot_internal/user":
                if (!authorized(x)) {
                    return unauthorized();
                }
                return hasCopilot ? MitmProxy.Reply.json(200, copilotUser()) : notFound();
            case "GET api.github.com/user":
                return authorized(x) ? MitmProxy.Reply.json(200, String.format("{\"login\":%s,\"id\":4242,"
                    + "\"type\":\"User\",\"name\":\"Fake User\",\"email\":null}", q(login))) : unauthorized();
            default:
                return notFound();
        }
    }

    private MitmProxy.Reply poll(Map<String, String> form) {
        int n = polls.incrementAndGet();
        if (!"urn:ietf:params:oauth:grant-type:device_code".equals(form.get("grant_type"))) {
            return error("unsupported_grant_type", "The grant type is not supported.");
        }
        if (!deviceCode.equals(form.get("device_code"))) {
            return error("incorrect_device_code", "The device_code provided is not valid.");
        }
        if (System.nanoTime() - issuedAtNanos > expiresInSeconds * 1_000_000_000L) {
            return error("expired_token", "The device_code has expired.");
        }
        if (denied) {
            return error("access_denied", "The authorization request was denied.");
        }
        if (n <= approveAfterPolls) {
            return error("authorization_pending", "The authorization request is still pending.");
        }
        return MitmProxy.Reply.json(200, String.format("{\"access_token\":%s,\"token_type\":\"bearer\","
            + "\"scope\":\"codespace,gist,read:org,read:user,repo,write:plugin_gateway_connections\"}", q(accessToken)));
    }

    private String copilotUser() {
        return String.format("{\"login\":%s,\"access_type_sku\":\"free_limited_copilot\","
            + "\"analytics_tracking_id\":\"fake\",\"assigned_date\":null,\"can_signup_for_limited\":false,"
            + "\"chat_enabled\":true,\"copilot_plan\":\"individual\",\"copilotignore_enabled\":false,"
            + "\"endpoints\":{\"api\":\"https://api.individual.githubcopilot.com\","
            + "\"proxy\":\"https://proxy.individual.githubcopilot.com\","
            + "\"telemetry\":\"https://telemetry.individual.githubcopilot.com\"},"
            + "\"organization_login_list\":[],\"organization_list\":[]}", q(login));
    }

    private boolean authorized(MitmProxy.Exchange x) {
        String h = x.header("authorization");
        return FakeTokens.isBearer(h, accessToken) || ("token " + accessToken).equals(h);
    }

    private static MitmProxy.Reply error(String code, String description) {
        return MitmProxy.Reply.json(200, String.format("{\"error\":%s,\"error_description\":%s,"
            + "\"error_uri\":\"https://docs.github.com/developers/apps/authorizing-oauth-apps\"}", q(code),
            q(description)));
    }

    private static MitmProxy.Reply unauthorized() {
        return MitmProxy.Reply.json(401, "{\"message\":\"Bad credentials\",\"status\":\"401\"}");
    }

    private static MitmProxy.Reply notFound() {
        return MitmProxy.Reply.json(404, "{\"message\":\"Not Found\",\"status\":\"404\"}");
    }

    private static String codePart() {
        StringBuilder b = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            b.append(CODE_CHARS.charAt(RANDOM.nextInt(CODE_CHARS.length())));
        }
        return b.toString().toUpperCase(Locale.ROOT);
    }
}

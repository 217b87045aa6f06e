package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.List;

import static dev.loginrelay.agent.testing.fakes.FakeTokens.q;

/**
 * Anthropic's side of a Claude Code 2.1.330 login ({@code claude auth login}, paste flow), as recorded
 * ({@code docs/cli-facts.md} §2 "Paste flow", §7): {@code POST platform.claude.com/v1/oauth/token}
 * (JSON, {@code grant_type=authorization_code} with the part of the pasted {@code CODE#STATE} before the {@code #}),
 * then {@code GET api.anthropic.com/api/oauth/profile} and {@code /api/oauth/claude_cli/roles}; the profile's
 * {@code organization_type: claude_max} is what {@code claude auth status} reports as {@code subscriptionType: max}.
 * Telemetry ({@code /api/event_logging/...}) answers {@code 200 {}}; anything else 404, as the recording did.
 */
final class FakeClaudeApi {
    static final List<String> HOSTS = List.of("platform.claude.com", "api.anthropic.com", "claude.ai", "claude.com");
    private static final String SCOPES =
        "user:inference user:profile user:sessions:claude_code user:mcp_servers user:file_upload";
    private static final String NOT_FOUND = "{\"error\":{\"type\":\"not_found_error\",\"message\":\"Not found\"}}";

    private final FakeIdentityProvider.Script script;
    final String code = "fakeClaudeCode-" + FakeTokens.random(24);
    final String accessToken = "sk-ant-oat01-fake-" + FakeTokens.random(24);
    final String refreshToken = "sk-ant-ort01-fake-" + FakeTokens.random(24);
    private final String accountUuid = java.util.UUID.randomUUID().toString();
    private final String orgUuid = java.util.UUID.randomUUID().toString();
    volatile String email = "claude.user@example.com";

    FakeClaudeApi(FakeIdentityProvider.Script script) {
        this.script = script;
    }

    MitmProxy.Reply answer(MitmProxy.Exchange x) {
        String route = x.method() + " " + x.path();
        if (route.equals("POST /v1/oauth/token")) {
            return token(x.body());
        }
        if (route.equals("GET /api/oauth/profile")) {
            return authorized(x) ? MitmProxy.Reply.json(200, profile()) : unauthorized();
        }
        if (route.equals("GET /api/oauth/claude_cli/roles")) {
            return authorized(x) ? MitmProxy.Reply.json(200,
                "{\"organization_role\":\"admin\",\"workspace_role\":null,\"organization_name\":\"Fake Org\"}")
                : unauthorized();
        }
        if (route.equals("GET /api/hello") || route.equals("GET /v1/oauth/hello")) {
            return MitmProxy.Reply.json(200, "{\"message\":\"hello\"}");
        }
        if (x.path().startsWith("/api/event_logging/")) {
            return MitmProxy.Reply.json(200, "{}");
        }
        return MitmProxy.Reply.json(404, NOT_FOUND);
    }

    private MitmProxy.Reply token(String body) {
        JsonObject req;
        try {
            req = new JsonObject(body);
        } catch (DecodeException e) {
            return MitmProxy.Reply.json(400, "{\"error\":\"invalid_request\"}");
        }
        String grant = req.getString("grant_type", "");
        if (grant.equals("refresh_token")) {
            return refreshToken.equals(req.getString("refresh_token")) ? tokens() : invalidGrant();
        }
        if (!grant.equals("authorization_code")) {
            return MitmProxy.Reply.json(400, "{\"error\":\"unsupported_grant_type\"}");
        }
        MitmProxy.Reply scripted = script.tokenFailure(invalidGrant());
        if (scripted != null) {
            return scripted;
        }
        return code.equals(req.getString("code")) ? tokens() : invalidGrant();
    }

    private MitmProxy.Reply tokens() {
        return MitmProxy.Reply.json(200, String.format("{\"token_type\":\"Bearer\",\"access_token\":%s,"
                + "\"refresh_token\":%s,\"expires_in\":28800,\"scope\":%s,"
                + "\"account\":{\"uuid\":%s,\"email_address\":%s},"
                + "\"organization\":{\"uuid\":%s,\"name\":\"Fake Org\"}}",
            q(accessToken), q(refreshToken), q(SCOPES), q(accountUuid), q(email), q(orgUuid)));
    }

    private String profile() {
        return String.format("{\"account\":{\"uuid\":%s,\"email\":%s,\"email_address\":%s,\"display_name\":\"Fake\","
                + "\"full_name\":\"Fake User\",\"created_at\":\"2025-01-01T00:00:00Z\",\"has_claude_max\":true,"
                + "\"has_claude_pro\":false},\"organization\":{\"uuid\":%s,\"name\":\"Fake Org\","
                + "\"organization_type\":\"claude_max\",\"rate_limit_tier\":\"default_claude_max_20x\","
                + "\"billing_type\":\"stripe_subscription\",\"has_extra_usage_enabled\":false,"
                + "\"subscription_created_at\":\"2025-01-01T00:00:00Z\"}}",
            q(accountUuid), q(email), q(email), q(orgUuid));
    }

    private boolean authorized(MitmProxy.Exchange x) {
        return FakeTokens.isBearer(x.header("authorization"), accessToken);
    }

    private static MitmProxy.Reply invalidGrant() {
        return MitmProxy.Reply.json(400,
            "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid authorization code\"}");
    }

    private static MitmProxy.Reply unauthorized() {
        return MitmProxy.Reply.json(401,
            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"Invalid bearer token\"}}");
    }
}

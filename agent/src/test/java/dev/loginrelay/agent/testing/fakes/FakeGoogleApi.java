package dev.loginrelay.agent.testing.fakes;

import dev.loginrelay.agent.testing.net.MitmProxy;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.loginrelay.agent.testing.fakes.FakeTokens.q;

/**
 * Google's side of a Gemini CLI 0.61.0 login (paste flow), as recorded
 * ({@code docs/cli-facts.md} §3 "Paste flow", §7): {@code POST oauth2.googleapis.com/token}
 * (form, {@code grant_type=authorization_code}, the pasted code), {@code GET www.googleapis.com/oauth2/v2/userinfo}
 * (its email becomes {@code google_accounts.json}'s {@code active}), then Code Assist's
 * {@code POST cloudcode-pa.googleapis.com/v1internal:loadCodeAssist} (a current tier and a project: without them
 * gemini onboards, {@code onboardUser}, or shows {@code Failed to sign in}), {@code retrieveUserQuota} and
 * {@code listExperiments}. Usage statistics ({@code play.googleapis.com/log}) answer {@code 200 {}}.
 * A CLI that starts with cached credentials first checks its access token at {@code POST
 * oauth2.googleapis.com/tokeninfo} (google-auth-library's {@code getTokenInfo}, bearer token): only the issued
 * token passes. After the login, a prompt ({@code gemini -p}) goes to Code Assist's
 * {@code streamGenerateContent} ({@code alt=sse}): with the issued access token it answers one candidate whose
 * text is {@link #MODEL_REPLY}, so a test can prove that a CLI holding these credentials is signed in;
 * {@code generateContent} answers the model router's JSON question first.
 */
final class FakeGoogleApi {
    static final List<String> HOSTS = List.of("oauth2.googleapis.com", "www.googleapis.com",
        "cloudcode-pa.googleapis.com", "play.googleapis.com", "accounts.google.com");
    /** Gemini CLI's built-in OAuth client. */
    static final String CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com";
    static final String PROJECT = "fake-project-123";
    /**
     * A JSON request ({@code responseMimeType: application/json}: gemini's model router asks which model should
     * answer, and retries on anything but JSON) gets this choice.
     */
    private static final String ROUTER_CHOICE = "{\"reasoning\":\"A short, bounded request.\","
        + "\"model_choice\":\"flash\"}";
    private static final String JSON_MIME = "\"responseMimeType\":\"application/json\"";
    private static final String SCOPES = "https://www.googleapis.com/auth/cloud-platform "
        + "https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid";
    /** What the fake model answers to any prompt. */
    static final String MODEL_REPLY = "Hello from the fake Gemini model.";
    private static final String TIER = "{\"id\":\"free-tier\",\"name\":\"Gemini Code Assist for individuals\","
        + "\"description\":\"Fake tier\",\"userDefinedCloudaicompanionProject\":false";

    private final FakeIdentityProvider.Script script;
    final String code = "4/0Fake-" + FakeTokens.random(24);
    final String accessToken = "ya29.fake-" + FakeTokens.random(24);
    final String refreshToken = "1//fake-" + FakeTokens.random(24);
    private final String subject = Long.toString(100_000_000L + FakeTokens.randomInt(899_999_999));
    volatile String email = "gemini.user@example.com";

    FakeGoogleApi(FakeIdentityProvider.Script script) {
        this.script = script;
    }

    MitmProxy.Reply answer(MitmProxy.Exchange x) {
        String route = x.method() + " " + x.host() + x.path();
        switch (route) {
            case "POST oauth2.googleapis.com/token":
                return token(FakeTokens.form(x.body()));
            case "GET www.googleapis.com/oauth2/v2/userinfo":
                return authorized(x) ? MitmProxy.Reply.json(200, String.format("{\"id\":%s,\"email\":%s,"
                    + "\"verified_email\":true,\"name\":\"Fake User\",\"given_name\":\"Fake\","
                    + "\"family_name\":\"User\"}",
                    q(subject), q(email))) : unauthorized();
            case "POST cloudcode-pa.googleapis.com/v1internal:loadCodeAssist":
                return authorized(x) ? MitmProxy.Reply.json(200, "{\"currentTier\":" + TIER + "},\"allowedTiers\":["
                    + TIER + ",\"isDefault\":true}],\"cloudaicompanionProject\":" + q(PROJECT) + "}") : unauthorized();
            case "POST cloudcode-pa.googleapis.com/v1internal:onboardUser":
                return authorized(x) ? MitmProxy.Reply.json(200, "{\"done\":true,\"response\":"
                    + "{\"cloudaicompanionProject\":{\"id\":" + q(PROJECT) + ",\"name\":\"Fake project\"}}}")
                    : unauthorized();
            case "POST oauth2.googleapis.com/tokeninfo":
                return authorized(x) ? tokenInfo() : MitmProxy.Reply.json(400,
                    "{\"error\":\"invalid_token\",\"error_description\":\"Invalid Value\"}");
            case "POST cloudcode-pa.googleapis.com/v1internal:streamGenerateContent":
                return authorized(x) ? modelReply() : unauthorized();
            case "POST cloudcode-pa.googleapis.com/v1internal:generateContent":
                return authorized(x) ? MitmProxy.Reply.json(200, modelChunk(x.body().contains(JSON_MIME)
                    ? ROUTER_CHOICE : MODEL_REPLY)) : unauthorized();
            case "POST cloudcode-pa.googleapis.com/v1internal:countTokens":
                return authorized(x) ? MitmProxy.Reply.json(200, "{\"totalTokens\":5}") : unauthorized();
            default:
                if (x.host().equals("cloudcode-pa.googleapis.com") || x.host().equals("play.googleapis.com")) {
                    return MitmProxy.Reply.json(200, "{}");
                }
                return MitmProxy.Reply.json(404, "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\"}}");
        }
    }

    private MitmProxy.Reply token(Map<String, String> form) {
        String grant = form.getOrDefault("grant_type", "");
        if (grant.equals("refresh_token")) {
            return refreshToken.equals(form.get("refresh_token")) ? tokens() : invalidGrant();
        }
        if (!grant.equals("authorization_code")) {
            return MitmProxy.Reply.json(400, "{\"error\":\"unsupported_grant_type\"}");
        }
        MitmProxy.Reply scripted = script.tokenFailure(invalidGrant());
        if (scripted != null) {
            return scripted;
        }
        return code.equals(form.get("code")) ? tokens() : invalidGrant();
    }

    /** The id_token Google would send (unsigned here; gemini reads no claim it needs from it). */
    String idToken() {
        long now = Instant.now().getEpochSecond();
        return FakeTokens.jwt(String.format("{\"iss\":\"https://accounts.google.com\",\"azp\":%s,\"aud\":%s,"
                + "\"sub\":%s,\"email\":%s,\"email_verified\":true,\"iat\":%d,\"exp\":%d}",
            q(CLIENT_ID), q(CLIENT_ID), q(subject), q(email), now, now + 3600));
    }

    private MitmProxy.Reply tokens() {
        return MitmProxy.Reply.json(200, String.format("{\"access_token\":%s,\"refresh_token\":%s,\"expires_in\":3599,"
                + "\"scope\":%s,\"token_type\":\"Bearer\",\"id_token\":%s}",
            q(accessToken), q(refreshToken), q(SCOPES), q(idToken())));
    }

    /** What Google says about a valid access token: its client, user and scopes, never the token itself. */
    private MitmProxy.Reply tokenInfo() {
        long exp = Instant.now().getEpochSecond() + 3500;
        return MitmProxy.Reply.json(200, String.format("{\"azp\":%s,\"aud\":%s,\"sub\":%s,\"scope\":%s,"
                + "\"exp\":\"%d\",\"expires_in\":\"3500\",\"email\":%s,\"email_verified\":\"true\","
                + "\"access_type\":\"offline\"}", q(CLIENT_ID), q(CLIENT_ID), q(subject), q(SCOPES), exp, q(email)));
    }

    /** One server-sent event with the whole answer, as Code Assist streams it ({@code data: <json>}, blank line). */
    private static MitmProxy.Reply modelReply() {
        return new MitmProxy.Reply(200, Map.of("Content-Type", "text/event-stream"),
            ("data: " + modelChunk(MODEL_REPLY) + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Code Assist's answer: one candidate whose text is {@code text}. */
    private static String modelChunk(String text) {
        return "{\"response\":{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":"
            + q(text) + "}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":"
            + "{\"promptTokenCount\":5,\"candidatesTokenCount\":7,\"totalTokenCount\":12},"
            + "\"modelVersion\":\"gemini-2.5-pro\"},\"traceId\":\"fake-trace-1\"}";
    }

    private boolean authorized(MitmProxy.Exchange x) {
        return FakeTokens.isBearer(x.header("authorization"), accessToken);
    }

    /** What Google answers for a code it does not know. */
    private static MitmProxy.Reply invalidGrant() {
        return MitmProxy.Reply.json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Bad Request\"}");
    }

    private static MitmProxy.Reply unauthorized() {
        return MitmProxy.Reply.json(401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication "
            + "credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
    }
}

package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Operator specs that point the shipped providers at the fake CLIs in {@code src/test/resources/fakecli}: each one
 * {@code extends} a shipped spec and overrides only the command, hosts and files, so the shipped failure patterns,
 * relay mode and success rules are what the tests exercise.
 */
final class FakeSpecs {
    private FakeSpecs() {
    }

    private static JsonArray node(String script, String... args) {
        JsonArray a = new JsonArray().add("node").add(AgentFixture.FAKECLI.resolve(script).toString());
        for (String s : args) {
            a.add(s);
        }
        return a;
    }

    /** codex-like loopback flow; {@code env} holds FAKECLI_* settings (e.g. a fixed port). */
    static JsonObject loopback(String name, JsonObject env) {
        return new JsonObject().put("name", name).put("extends", "codex")
            .put("command", node("fake-loopback.js", "login"))
            .put("env", env.copy().put("CODEX_HOME", "${HOME}/.codex"))
            .put("detect", new JsonObject()
                .put("authUrl", "https://auth\\.example\\.test/oauth/authorize\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/auth.json"))
                .put("verifyCommand", node("fake-loopback.js", "login", "status"))
                .put("identity", new JsonObject().put("source", "file").put("file", ".fakecli/auth.json")))
            .put("exclusive", name + "-port")
            .put("versionCommand", node("fake-loopback.js", "--version"));
    }

    /** claude-like paste flow. */
    static JsonObject paste(String name, JsonObject env) {
        return new JsonObject().put("name", name).put("extends", "claude")
            .put("command", node("fake-paste.js"))
            .put("env", env)
            .put("detect", new JsonObject().put("authUrl",
                "https://claude\\.example\\.test/oauth/authorize\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/credentials.json"))
                .put("verifyCommand", node("fake-paste.js", "status")))
            .put("versionCommand", node("fake-paste.js", "--version"));
    }

    /** gemini-like paste flow: new URL after a rejected code, stays alive after success. */
    static JsonObject gemini(String name, JsonObject env) {
        return new JsonObject().put("name", name).put("extends", "gemini")
            .put("command", node("fake-paste.js"))
            .put("env", env.copy().put("FAKECLI_GEMINI", "1"))
            .put("files", new JsonArray())
            .put("detect", new JsonObject().put("authUrl",
                "https://accounts\\.example\\.test/o/oauth2/v2/auth\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/oauth_creds.json"))
                .put("identity", new JsonObject().put("file", ".fakecli/google_accounts.json")))
            .put("versionCommand", node("fake-paste.js", "--version"));
    }

    /** codex-like device-code flow. */
    static JsonObject device(String name, JsonObject env) {
        return new JsonObject().put("name", name).put("extends", "codex-device")
            .put("command", node("fake-device.js"))
            .put("env", env)
            .put("success", new JsonObject()
                .put("credentialFiles", new JsonArray().add(".fakecli/auth.json"))
                .put("verifyCommand", node("fake-loopback.js", "status"))
                .put("identity", new JsonObject().put("source", "file").put("file", ".fakecli/auth.json")))
            .put("versionCommand", node("fake-device.js", "--version"));
    }
}

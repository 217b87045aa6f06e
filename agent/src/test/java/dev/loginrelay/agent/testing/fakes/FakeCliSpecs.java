package dev.loginrelay.agent.testing.fakes;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Public for the controller's tests (test-jar). Operator specs that point the shipped providers at the fake CLIs in {@code src/test/resources/fakecli}: each one
 * {@code extends} a shipped spec and overrides only the command, hosts and files, so the shipped failure patterns,
 * relay mode and success rules are what the tests exercise.
 */
public final class FakeCliSpecs {
    /** The fake CLI scripts: {@code <repo>/agent/src/test/resources/fakecli}, from any module's working dir. */
    public static final java.nio.file.Path DIR = java.nio.file.Path.of(System.getProperty("loginrelay.repo.dir", ".."))
        .resolve("agent/src/test/resources/fakecli").toAbsolutePath().normalize();

    private FakeCliSpecs() {
    }

    private static JsonArray node(String script, String... args) {
        JsonArray a = new JsonArray().add("node").add(DIR.resolve(script).toString());
        for (String s : args) {
            a.add(s);
        }
        return a;
    }

    /** codex-like loopback flow; {@code env} holds FAKECLI_* settings (e.g. a fixed port). */
    public static JsonObject loopback(String name, JsonObject env) {
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
    public static JsonObject paste(String name, JsonObject env) {
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
    public static JsonObject gemini(String name, JsonObject env) {
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
    public static JsonObject device(String name, JsonObject env) {
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

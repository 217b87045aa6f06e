package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.Compat;
import dev.loginrelay.agent.testing.CompatibilityRecorder;
import dev.loginrelay.agent.testing.fakes.FakeCodexIssuer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs the REAL pinned codex ({@code codex login --device-auth --experimental_issuer}) under a PTY ({@code script})
 * against {@link FakeCodexIssuer}, with no agent in between. It proves the fake answers what codex needs, so agent
 * tests that use the fake exercise the real CLI's behaviour. Fails when the CLIs are not installed
 * ({@code scripts/install-clis.sh}).
 */
@ExtendWith(CompatibilityRecorder.class)
@Compat(provider = "codex", flow = "device", via = "cli")
final class RealCodexAgainstFakeIssuerTest {
    private static final Path BIN = Path.of(System.getProperty("loginrelay.clis.dir", "../.clis"))
        .resolve("node_modules/.bin");
    private static final Path SCRIPT = Path.of("/usr/bin/script");
    private static final long RUN_SECONDS = 45;

    @TempDir
    Path tmp;
    private Path home;
    private Path codexHome;

    /** Exit code and the merged output (PTY bytes, ANSI included) of one command. */
    private record Result(int exitCode, String output) {
    }

    @BeforeAll
    static void requireCodex() {
        // Real-CLI tests must run, never skip: scripts/test.sh installs the pinned CLIs first.
        assertThat(BIN.resolve("codex")).as("codex is not installed; run scripts/install-clis.sh").isExecutable();
        assertThat(SCRIPT).as("util-linux script(1) is needed for a PTY").isExecutable();
    }

    @BeforeEach
    void makeHome() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        codexHome = Files.createDirectories(home.resolve(".codex"));
    }

    @Test
    @Timeout(90)
    void logsInAndSavesTheIssuersTokens() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().email("real.codex@example.org").plan("pro")) {
            Result login = codexLogin(issuer);

            assertThat(login.exitCode()).as(login.output()).isZero();
            assertThat(login.output())
                .contains(issuer.baseUrl() + "/codex/device", issuer.userCode(), "Successfully logged in")
                .as("codex warns when the id_token lacks the https://api.openai.com/auth claim")
                .doesNotContain("JWT payload missing");
            JsonObject auth = new JsonObject(Files.readString(codexHome.resolve("auth.json")));
            JsonObject tokens = auth.getJsonObject("tokens");
            assertThat(tokens.getString("access_token")).isEqualTo(issuer.accessToken());
            assertThat(tokens.getString("refresh_token")).isEqualTo(issuer.refreshToken());
            assertThat(tokens.getString("id_token")).isEqualTo(issuer.idToken());
            assertThat(tokens.getString("account_id")).isEqualTo(issuer.accountId());
            assertThat(issuer.requests()).extracting(FakeCodexIssuer.Request::path).containsExactly(
                "/api/accounts/deviceauth/usercode", "/api/accounts/deviceauth/token",
                "/api/accounts/deviceauth/token", "/oauth/token");
            assertThat(issuer.requests().get(3).body()).contains("grant_type=authorization_code",
                "code=" + issuer.authorizationCode(), "code_verifier=" + issuer.codeVerifier());

            Result status = run(List.of(BIN.resolve("codex").toString(), "login", "status"));
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("Logged in using ChatGPT");
        }
    }

    @Test
    @Timeout(90)
    void failsWhenTheUserDeniesTheDevice() throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().deny()) {
            Result login = codexLogin(issuer);

            assertThat(login.exitCode()).as(login.output()).isEqualTo(1);
            assertThat(login.output()).contains("Error logging in: device auth failed with status 400 Bad Request")
                .doesNotContain("Successfully logged in");
            assertNotLoggedIn();
        }
    }

    static Stream<Arguments> tokenFailures() {
        return Stream.of(
            Arguments.of(400, FakeCodexIssuer.INVALID_GRANT, "status 400 Bad Request: Invalid authorization code"),
            Arguments.of(500, "{\"error\":\"server_error\"}", "status 500 Internal Server Error: server_error"));
    }

    @ParameterizedTest
    @Timeout(90)
    @MethodSource("tokenFailures")
    void failsWhenTheTokenExchangeFails(int status, String body, String reported) throws Exception {
        try (FakeCodexIssuer issuer = FakeCodexIssuer.start().failTokenExchange(status, body)) {
            Result login = codexLogin(issuer);

            assertThat(login.exitCode()).as(login.output()).isEqualTo(1);
            assertThat(login.output())
                .contains("Error logging in: device code exchange failed: token endpoint returned " + reported);
            assertNotLoggedIn();
        }
    }

    private void assertNotLoggedIn() throws Exception {
        assertThat(codexHome.resolve("auth.json")).doesNotExist();
        Result status = run(List.of(BIN.resolve("codex").toString(), "login", "status"));
        assertThat(status.exitCode()).as(status.output()).isEqualTo(1);
        assertThat(status.output()).contains("Not logged in");
    }

    private Result codexLogin(FakeCodexIssuer issuer) throws Exception {
        String command = "codex login --device-auth --experimental_issuer " + issuer.baseUrl();
        return run(List.of(SCRIPT.toString(), "-q", "-e", "-c", command, "/dev/null"));
    }

    /** Runs with a minimal env; the output goes to a file, so no reader thread is needed. */
    private Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "out-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().clear();
        builder.environment().putAll(Map.of(
            "PATH", BIN + ":/usr/local/bin:/usr/bin:/bin",
            "HOME", home.toString(),
            "CODEX_HOME", codexHome.toString(),
            "LANG", "C.UTF-8"));
        Process process = builder.start();
        try {
            if (!process.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
                fail("%s did not end within %ds; output:%n%s", command, RUN_SECONDS, read(out));
            }
            return new Result(process.exitValue(), read(out));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8); // lenient: PTY bytes
    }
}

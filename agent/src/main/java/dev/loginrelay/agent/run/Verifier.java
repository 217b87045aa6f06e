package dev.loginrelay.agent.run;

import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.support.Redact;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Proves a login: the credential files were written by this login (fresh HOME, modified after the run started; a
 * file of which only some keys are taken has each of them) and the provider's verify command passes (e.g.
 * {@code codex login status} exits 0). The CLI's own "Successfully logged in" proves nothing: {@code GET /success} on
 * codex's listener prints it without any credentials. Blocking.
 */
final class Verifier {
    private static final int MAX_OUTPUT = 64 * 1024;

    /** The outcome; {@code account} holds only the non-secret identity fields the spec names. */
    record Result(boolean ok, String errorCode, String message, JsonObject account) {
        static Result fail(RunFailure code, String message) {
            return new Result(false, code.name(), message, null);
        }
    }

    private Verifier() {
    }

    /** {@code asUser}: the prefix that runs the verify command as the run's user (empty: the agent's). */
    static Result verify(ProviderSpec spec, Path home, Map<String, String> env, Instant startedAt,
                         List<Path> searchPath, long timeoutMs, List<String> asUser) {
        ProviderSpec.Success success = spec.success();
        for (ProviderSpec.CredentialFile cf : success.credentialFiles()) {
            String rel = cf.path();
            Path f = home.resolve(rel);
            try {
                if (!Files.isRegularFile(f) || Files.size(f) == 0) {
                    return Result.fail(RunFailure.CREDENTIALS_MISSING, "the CLI did not write " + rel);
                }
                if (cf.partial() && !hasKeys(f, cf.keys())) {
                    return Result.fail(RunFailure.CREDENTIALS_MISSING, "the CLI did not write " + cf.keys() + " into "
                        + rel);
                }
                if (Files.getLastModifiedTime(f).toInstant().isBefore(startedAt.minusSeconds(2))) {
                    return Result.fail(RunFailure.CREDENTIALS_STALE, rel + " was not written by this login");
                }
            } catch (IOException e) {
                return Result.fail(RunFailure.CREDENTIALS_UNREADABLE, "cannot read " + rel + ": " + e.getMessage());
            }
        }
        String verifyOutput = null;
        if (!success.verifyCommand().isEmpty()) {
            Outcome o = run(success.verifyCommand(), home, env, searchPath, timeoutMs, asUser);
            if (o.error() != null) {
                return Result.fail(RunFailure.VERIFY_FAILED, o.error());
            }
            if (o.exitCode() != success.verifyExitCode()) {
                return Result.fail(RunFailure.VERIFY_FAILED, String.join(" ", success.verifyCommand()) + " exited "
                    + o.exitCode() + ": " + Redact.text(firstLines(o.output())));
            }
            verifyOutput = o.output();
        }
        JsonObject account = success.identity() == null ? new JsonObject()
            : IdentityReader.read(success.identity(), home, verifyOutput);
        return new Result(true, null, null, account);
    }

    /** True when the JSON object file {@code f} has each key (a file too large to be one has none). */
    private static boolean hasKeys(Path f, List<String> keys) throws IOException {
        JsonObject doc = Files.size(f) > CredentialFiles.MAX_SOURCE_BYTES ? null
            : JsonKeys.object(Files.readString(f, StandardCharsets.UTF_8));
        return doc != null && keys.stream().allMatch(doc::containsKey);
    }

    private record Outcome(int exitCode, String output, String error) {
    }

    private static Outcome run(List<String> argv, Path home, Map<String, String> env, List<Path> searchPath,
                               long timeoutMs, List<String> asUser) {
        Process p = null;
        try {
            List<String> cmd = new java.util.ArrayList<>(asUser);
            cmd.addAll(RunHome.resolveCommand(argv, searchPath));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            p = pb.start();
            byte[] out = readBounded(p.getInputStream());
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                return new Outcome(-1, "", String.join(" ", argv) + " did not finish within " + timeoutMs + " ms");
            }
            return new Outcome(p.exitValue(), new String(out, StandardCharsets.UTF_8), null);
        } catch (IOException e) {
            return new Outcome(-1, "", "cannot run " + argv.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "", "interrupted while running " + argv.get(0));
        } finally {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (out.size() < MAX_OUTPUT) {
                out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
            }
        }
        return out.toByteArray();
    }

    private static String firstLines(String s) {
        String t = s.strip();
        return t.length() > 300 ? t.substring(0, 300) : t;
    }
}

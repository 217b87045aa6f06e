package dev.loginrelay.controller.vm.local;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code java -jar loginrelay-agent.jar doctor} on this host, as the local agents would run (blocking). */
final class LocalDoctor {
    private static final long DOCTOR_TIMEOUT_SECONDS = 90;

    private LocalDoctor() {
    }

    /** Runs the agent jar's {@code doctor} with the local agents' CLI path and providers dir. Blocking. */
    static JsonObject run(LocalPoolConfig c) {
        LocalAgentProcess.requireJar(c);
        Path work = c.dataDir().resolve("doctor");
        try {
            Files.createDirectories(work);
            Path out = Files.createTempFile(work, "doctor", ".json");
            Path err = work.resolve("doctor.err");
            List<String> cmd = new ArrayList<>(LocalAgentProcess.javaCommand(c));
            cmd.add("doctor");
            cmd.addAll(List.of("--work-dir", work.toString(), "--lock-dir", c.lockDir().toString()));
            cmd.addAll(LocalAgentProcess.sharedFlags(c));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
            LocalAgentProcess.minimalEnv(pb.environment());
            Process p = pb.start();
            try {
                if (!p.waitFor(DOCTOR_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the agent self-check (" + c.agentJar()
                        + " doctor) did not finish within " + DOCTOR_TIMEOUT_SECONDS + " s");
                }
                return parse(Files.readString(out, StandardCharsets.UTF_8), p.exitValue(), c, err);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the agent self-check " + c.agentJar() + " doctor", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, "interrupted while running the agent self-check", e);
        }
    }

    /** Exit 1 only means "a CLI is missing": the report is still valid JSON. */
    private static JsonObject parse(String stdout, int exit, LocalPoolConfig c, Path err) throws IOException {
        int start = stdout.indexOf('{');
        try {
            if (start >= 0) {
                return new JsonObject(stdout.substring(start));
            }
        } catch (DecodeException e) {
            // fall through: report the exit code and what the agent said
        }
        String said = Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8).strip() : "";
        throw new ApiException(ErrorCode.AGENT_UNAVAILABLE, "the agent self-check (" + c.agentJar()
            + " doctor) exited " + exit + " without a JSON report: "
            + (said.length() > 400 ? said.substring(said.length() - 400) : said));
    }
}

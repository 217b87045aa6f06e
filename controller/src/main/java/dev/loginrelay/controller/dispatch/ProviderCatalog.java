package dev.loginrelay.controller.dispatch;

import dev.loginrelay.controller.api.ApiException;
import dev.loginrelay.controller.api.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The providers' catalog as {@link VmProvider#providers()} gives it, made from an agent's self-check (its
 * {@code doctor} JSON): each provider with {@code available} (supported, CLI found, PTY opens) and the
 * {@code reason} when not. {@link #runDoctor} runs {@code java -jar loginrelay-agent.jar doctor} (blocking).
 */
final class ProviderCatalog {
    private static final long DOCTOR_TIMEOUT_SECONDS = 90;
    private static final List<String> KEPT = List.of("name", "displayName", "supported", "found", "relay", "expects",
        "version", "testedVersion", "versionMatches");

    private ProviderCatalog() {
    }

    /** {@code {"providers":[...]}} from a doctor report. */
    static JsonObject fromDoctor(JsonObject doctor) {
        JsonObject pty = doctor.getJsonObject("pty", new JsonObject().put("ok", true));
        boolean ptyOk = pty.getBoolean("ok", false);
        JsonArray out = new JsonArray();
        for (Object o : doctor.getJsonArray("providers", new JsonArray())) {
            JsonObject p = (JsonObject) o;
            JsonObject v = new JsonObject();
            KEPT.forEach(k -> {
                if (p.containsKey(k)) {
                    v.put(k, p.getValue(k));
                }
            });
            boolean supported = p.getBoolean("supported", false);
            boolean found = p.getBoolean("found", false);
            String reason = !supported ? p.getString("reason", "not supported")
                : !found ? p.getString("error", "its CLI is not installed on the agents")
                : !ptyOk ? "the agents cannot open a terminal: " + pty.getString("error", "PTY check failed")
                : null;
            out.add(v.put("available", reason == null).put("reason", reason));
        }
        return new JsonObject().put("providers", out);
    }

    /** Runs the agent jar's {@code doctor} with the local agents' CLI path and providers dir. Blocking. */
    static JsonObject runDoctor(LocalVmConfig c) {
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
    private static JsonObject parse(String stdout, int exit, LocalVmConfig c, Path err) throws IOException {
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

package dev.loginrelay.agent.doctor;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;
import dev.loginrelay.agent.pty.PtyProbe;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The self-check golden-snapshot builds run: can a PTY be opened, and for each supported provider is its CLI on the
 * run PATH, which version it reports, and is that the version its spec was written for. {@code ok} is false when a
 * PTY cannot open or a CLI is missing.
 */
public final class Doctor {
    private static final Pattern VERSION = Pattern.compile("(\\d+\\.\\d+\\.\\d+)");
    private final Vertx vertx;
    private final AgentConfig config;
    private final ProviderCatalog catalog;

    public Doctor(Vertx vertx, AgentConfig config, ProviderCatalog catalog) {
        this.vertx = vertx;
        this.config = config;
        this.catalog = catalog;
    }

    public Future<JsonObject> check() {
        return vertx.executeBlocking(() -> report(config, catalog), false);
    }

    /** Blocking; also used by {@code java -jar loginrelay-agent.jar doctor}. */
    public static JsonObject report(AgentConfig config, ProviderCatalog catalog) {
        String ptyError = PtyProbe.check();
        JsonArray providers = new JsonArray();
        boolean ok = ptyError == null;
        for (ProviderSpec spec : catalog.all()) {
            JsonObject p = provider(spec, config.runPath());
            ok &= !spec.supported() || p.getBoolean("found");
            providers.add(p);
        }
        return new JsonObject().put("ok", ok)
            .put("pty", new JsonObject().put("ok", ptyError == null).put("error", ptyError))
            .put("providers", providers);
    }

    private static JsonObject provider(ProviderSpec spec, List<Path> path) {
        JsonObject p = new JsonObject().put("name", spec.name()).put("displayName", spec.displayName())
            .put("supported", spec.supported()).put("testedVersion", spec.testedVersion());
        if (!spec.supported()) {
            return p.put("found", false).put("reason", spec.unsupportedReason());
        }
        p.put("relay", spec.relay().wireName()).put("expects", spec.relay().expects());
        String program = spec.command().get(0);
        Path exe = path.stream().map(d -> d.resolve(program)).filter(Files::isExecutable).findFirst().orElse(null);
        if (exe == null) {
            return p.put("found", false).put("error", program + " not found on " + path);
        }
        p.put("found", true).put("path", exe.toString());
        if (!spec.versionCommand().isEmpty()) {
            String out = versionOf(spec.versionCommand(), exe, path);
            Matcher m = VERSION.matcher(out);
            String version = m.find() ? m.group(1) : null;
            p.put("version", version).put("versionOutput", out.length() > 120 ? out.substring(0, 120) : out)
                .put("versionMatches", version != null && version.equals(spec.testedVersion()));
        }
        return p;
    }

    private static String versionOf(List<String> argv, Path exe, List<Path> path) {
        List<String> cmd = new ArrayList<>(argv);
        cmd.set(0, exe.toString());
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().clear();
            pb.environment().put("PATH", String.join(":", path.stream().map(Path::toString).toList()));
            pb.environment().put("HOME", System.getProperty("java.io.tmpdir"));
            Process proc = pb.start();
            byte[] out = proc.getInputStream().readNBytes(4096);
            if (!proc.waitFor(20, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                return "timed out";
            }
            return new String(out, StandardCharsets.UTF_8).strip();
        } catch (Exception e) {
            return "cannot run: " + e.getMessage();
        }
    }
}

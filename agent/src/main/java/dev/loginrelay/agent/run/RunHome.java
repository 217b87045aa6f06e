package dev.loginrelay.agent.run;

import dev.loginrelay.agent.config.AgentConfig;
import dev.loginrelay.agent.provider.ProviderSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's private world: a fresh HOME (0700) under the work dir, so two logins never share credentials, and an
 * explicit minimal environment: never the agent's own environment, token or secrets.
 */
final class RunHome {
    private RunHome() {
    }

    /** Where the session's files live: {@code <workDir>/sessions/<runId>}. */
    static Path sessionDir(AgentConfig config, String runId) {
        return sessionsDir(config).resolve(runId);
    }

    /** Where every session's dir lives: {@code <workDir>/sessions}. */
    static Path sessionsDir(AgentConfig config) {
        return config.workDir().resolve("sessions");
    }

    /** Creates HOME (0700) and a private TMPDIR, and writes the spec's seed files (0600). Blocking. */
    static Path prepare(AgentConfig config, String runId, ProviderSpec spec) throws IOException {
        Path session = sessionDir(config, runId);
        Path home = session.resolve("home");
        createPrivateDir(session);
        createPrivateDir(home);
        createPrivateDir(session.resolve("tmp"));
        for (String d : spec.dirs()) {
            createPrivateDir(inside(home, d));
        }
        for (ProviderSpec.SeedFile f : spec.files()) {
            Path target = inside(home, f.path());
            createPrivateDir(target.getParent());
            Files.writeString(target, f.content(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        }
        return home;
    }

    private static Path inside(Path home, String relative) throws IOException {
        Path target = home.resolve(relative).normalize();
        if (!target.startsWith(home)) {
            throw new IOException("path escapes HOME: " + relative);
        }
        return target;
    }

    private static void createPrivateDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** What the CLI runs to "open a browser": nothing, successfully. */
    static final String NO_BROWSER = "true";

    /** The complete environment of the CLI: built from nothing, never copied from the agent's own. */
    static Map<String, String> environment(AgentConfig config, Path home, String runId, ProviderSpec spec) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", String.join(":", config.runPath().stream().map(Path::toString).toList()));
        env.put("HOME", home.toString());
        env.put("USER", System.getProperty("user.name", "loginrelay"));
        env.put("LOGNAME", System.getProperty("user.name", "loginrelay"));
        env.put("SHELL", "/bin/sh");
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "xterm-256color");
        env.put("COLUMNS", Integer.toString(dev.loginrelay.agent.pty.PtyRunner.COLUMNS));
        env.put("LINES", Integer.toString(dev.loginrelay.agent.pty.PtyRunner.ROWS));
        env.put("TMPDIR", home.getParent().resolve("tmp").toString());
        // Nobody sits at this machine: the link goes to the user through the relay. A CLI that tries to open a
        // browser here (codex runs xdg-open, which starts any installed browser) waits for it before it prints the
        // link, seconds on a host with chromium; BROWSER=true makes that attempt a no-op. A spec may set its own.
        env.put("BROWSER", NO_BROWSER);
        spec.env().forEach((k, v) -> env.put(k, expand(v, home, runId)));
        return env;
    }

    static String expand(String value, Path home, String runId) {
        return value.replace("${HOME}", home.toString()).replace("${SESSION_ID}", runId);
    }

    /** argv with its first element resolved on the run's PATH, so the CLI that runs is the one the doctor saw. */
    static List<String> resolveCommand(List<String> argv, List<Path> searchPath) throws IOException {
        List<String> out = new ArrayList<>(argv);
        out.set(0, which(argv.get(0), searchPath).toString());
        return out;
    }

    static Path which(String command, List<Path> searchPath) throws IOException {
        if (command.contains("/")) {
            Path p = Path.of(command);
            if (Files.isExecutable(p)) {
                return p;
            }
            throw new IOException(command + " is not an executable file");
        }
        for (Path dir : searchPath) {
            Path p = dir.resolve(command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IOException(command + " not found on PATH " + searchPath);
    }
}

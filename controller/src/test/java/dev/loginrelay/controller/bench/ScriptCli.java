package dev.loginrelay.controller.bench;

import dev.loginrelay.agent.provider.ProviderCatalog;
import dev.loginrelay.agent.provider.ProviderSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bare CLI as a person would run it at a terminal: {@code script -q -c '<the spec's login command>' /dev/null}
 * in a fresh HOME with the environment the agent gives the CLI, read as raw bytes until the spec's auth-URL pattern
 * matches and one more byte shows the URL ended.
 */
final class ScriptCli {
    private static final long URL_DEADLINE_MS = 60_000;

    private final Path base;
    private final Path cliBin;
    private final ProviderCatalog catalog = ProviderCatalog.load(null);
    private int runs;

    ScriptCli(Path base, Path cliBin) {
        this.base = base;
        this.cliBin = cliBin;
    }

    /** ms from just before the process starts until the whole URL was read; the tree is killed afterwards. */
    long timeToUrl(String provider) throws IOException, InterruptedException {
        ProviderSpec spec = catalog.find(provider).orElseThrow(() -> new IllegalArgumentException(provider));
        Path session = base.resolve(provider + "-" + (++runs));
        Path home = Files.createDirectories(session.resolve("home"));
        Path tmp = Files.createDirectories(session.resolve("tmp"));
        makeHomeDirs(spec, home);
        Pattern url = Pattern.compile("(" + spec.detect().authUrl() + ")[^A-Za-z0-9._~%&=+\\-]");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-q", "-c", String.join(" ", spec.command()),
            "/dev/null").directory(home.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(environment(spec, home, tmp));
        long t0 = System.nanoTime();
        Process p = pb.start();
        try {
            String found = read(p.getInputStream(), url, t0);
            if (found == null) {
                throw new IllegalStateException(provider + " under script ended without an auth URL");
            }
            return System.nanoTime() - t0;
        } finally {
            Procs.killTree(p.toHandle());
            p.getOutputStream().close();
            p.getInputStream().close();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String read(InputStream in, Pattern url, long t0) throws IOException {
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            seen.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            Matcher m = url.matcher(seen);
            if (m.find()) {
                return m.group(1);
            }
            if (System.nanoTime() - t0 > TimeUnit.MILLISECONDS.toNanos(URL_DEADLINE_MS)) {
                return null;
            }
        }
        return null;
    }

    private Map<String, String> environment(ProviderSpec spec, Path home, Path tmp) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", cliBin + ":/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("USER", System.getProperty("user.name"));
        env.put("LOGNAME", System.getProperty("user.name"));
        env.put("SHELL", "/bin/sh");
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "xterm-256color");
        env.put("COLUMNS", "1000");
        env.put("LINES", "50");
        env.put("TMPDIR", tmp.toString());
        env.put("BROWSER", "true"); // as the agent: no browser opened on this machine (it delays codex's link)
        spec.env().forEach((k, v) -> env.put(k, v.replace("${HOME}", home.toString())));
        return env;
    }

    /** The dirs the spec's environment points into HOME (codex's CODEX_HOME must exist), as the agent makes them. */
    private static void makeHomeDirs(ProviderSpec spec, Path home) throws IOException {
        for (String v : spec.env().values()) {
            if (v.startsWith("${HOME}/")) {
                Files.createDirectories(home.resolve(v.substring("${HOME}/".length())));
            }
        }
    }
}

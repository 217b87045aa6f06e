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
    /** A network namespace of its own (its own loopback and port 1455), or null: the host's. */
    private final String netns;
    private final ProviderCatalog catalog = ProviderCatalog.load(null);
    private int runs;

    ScriptCli(Path base, Path cliBin, String netns) {
        this.base = base;
        this.cliBin = cliBin;
        this.netns = netns;
    }

    /**
     * A fresh network namespace with its loopback up, when this runs as root with {@code ip}: the bare CLI then has
     * a loopback (and codex its port 1455) of its own, as on a machine where no LoginRelay runs. Null otherwise.
     */
    static String ownNetns() throws IOException, InterruptedException {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/sbin/ip"))
            && !Files.isExecutable(Path.of("/sbin/ip")) && !Files.isExecutable(Path.of("/usr/bin/ip"))) {
            return null;
        }
        String ns = "lr-bench-" + ProcessHandle.current().pid();
        if (run("ip", "netns", "add", ns) != 0 || run("ip", "-n", ns, "link", "set", "lo", "up") != 0) {
            run("ip", "netns", "del", ns);
            return null;
        }
        return ns;
    }

    static void deleteNetns(String ns) throws IOException, InterruptedException {
        if (ns != null) {
            run("ip", "netns", "del", ns);
        }
    }

    /** Median ms that {@code ip netns exec} adds to starting a program (reported beside the bare CLI's times). */
    static double netnsOverheadMs(String ns) throws IOException, InterruptedException {
        java.util.List<Long> with = new java.util.ArrayList<>();
        java.util.List<Long> without = new java.util.ArrayList<>();
        for (int i = 0; i < 11; i++) {
            long t0 = System.nanoTime();
            run("/bin/true");
            without.add(System.nanoTime() - t0);
            t0 = System.nanoTime();
            run("ip", "netns", "exec", ns, "/bin/true");
            with.add(System.nanoTime() - t0);
        }
        return Stats.percentileMs(with, 50) - Stats.percentileMs(without, 50);
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** ms from just before the process starts until the whole URL was read; the tree is killed afterwards. */
    long timeToUrl(String provider) throws IOException, InterruptedException {
        ProviderSpec spec = catalog.find(provider).orElseThrow(() -> new IllegalArgumentException(provider));
        Path session = base.resolve(provider + "-" + (++runs));
        Path home = Files.createDirectories(session.resolve("home"));
        Path tmp = Files.createDirectories(session.resolve("tmp"));
        makeHomeDirs(spec, home);
        Pattern url = Pattern.compile("(" + spec.detect().authUrl() + ")[^A-Za-z0-9._~%&=+\\-]");
        java.util.List<String> cmd = new java.util.ArrayList<>();
        if (netns != null) {
            cmd.addAll(java.util.List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(java.util.List.of("/usr/bin/script", "-q", "-c", String.join(" ", spec.command()), "/dev/null"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
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

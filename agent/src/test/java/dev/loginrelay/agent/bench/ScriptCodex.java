package dev.loginrelay.agent.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The approach LoginRelay replaces: {@code script -q -c 'codex login' /dev/null} started with ProcessBuilder, its
 * output read as a raw byte stream until the auth URL is complete (the strict URL class followed by one byte outside
 * it). Same environment as the agent gives the CLI ({@code RunHome.environment}), in a fresh HOME per run.
 */
final class ScriptCodex implements AutoCloseable {
    static final String URL_CLASS = "[A-Za-z0-9._~%&=+\\-]";
    /** Codex's URL as the agent's codex spec matches it, plus the byte that proves the URL has ended. */
    static final Pattern CODEX_URL = Pattern.compile(
        "(https://auth\\.openai\\.com/oauth/authorize\\?" + URL_CLASS + "+)[^A-Za-z0-9._~%&=+\\-]");
    static final String DEAD_PROXY = "http://127.0.0.1:9";
    private static final long URL_DEADLINE_S = 60;

    private final Path base;
    private final Path cliBin;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "script-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** @param base where the per-run session dirs go (not under /tmp) */
    ScriptCodex(Path base, Path cliBin) {
        this.base = base;
        this.cliBin = cliBin;
    }

    /** One run: ms from just before {@code start()} until the whole URL was read; the tree is killed afterwards. */
    UrlTimings.Sample once(String id) throws IOException, InterruptedException {
        Path session = base.resolve(id);
        Path home = Files.createDirectories(session.resolve("home"));
        Files.createDirectories(home.resolve(".codex"));
        Files.createDirectories(session.resolve("tmp"));
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-q", "-c", "codex login", "/dev/null")
            .directory(home.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(environment(home, session.resolve("tmp")));
        long t0 = System.nanoTime();
        Process p = pb.start();
        ScheduledFuture<?> guard = watchdog.schedule(() -> Host.killTree(p.toHandle(), 2000), URL_DEADLINE_S,
            TimeUnit.SECONDS);
        try {
            String url = readUrl(p.getInputStream());
            long t1 = System.nanoTime();
            if (url == null) {
                throw new IllegalStateException("script/codex run " + id + " ended without an auth URL (exit "
                    + (p.isAlive() ? "none yet" : p.exitValue()) + ") or took over " + URL_DEADLINE_S + " s");
            }
            return new UrlTimings.Sample((t1 - t0) / 1e6, url, false, Double.NaN, Double.NaN);
        } finally {
            guard.cancel(false);
            // Stdin stays an open pipe while the CLI runs: script reads it, and an early EOF would end the session.
            Host.killTree(p.toHandle(), 2000);
            p.getOutputStream().close();
            p.getInputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("script of run " + id + " still alive 10 s after the kill");
            }
        }
    }

    /** Reads raw bytes until the URL pattern matches; null at end of stream. Latin-1 keeps one char per byte. */
    private static String readUrl(InputStream in) throws IOException {
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            seen.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            Matcher m = CODEX_URL.matcher(seen);
            if (m.find()) {
                return m.group(1);
            }
            if (seen.length() > 1 << 20) {
                throw new IOException("1 MiB of output and no auth URL");
            }
        }
        return null;
    }

    private Map<String, String> environment(Path home, Path tmp) {
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
        env.putAll(offlineCodexEnv(home.resolve(".codex").toString()));
        return env;
    }

    /** CODEX_HOME plus a dead loopback proxy: any HTTPS codex tries fails at once and nothing leaves the host. */
    static Map<String, String> offlineCodexEnv(String codexHome) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CODEX_HOME", codexHome);
        env.put("HTTPS_PROXY", DEAD_PROXY);
        env.put("https_proxy", DEAD_PROXY);
        env.put("NO_PROXY", "127.0.0.1,localhost");
        env.put("no_proxy", "127.0.0.1,localhost");
        return env;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}

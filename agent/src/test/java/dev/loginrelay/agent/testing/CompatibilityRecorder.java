package dev.loginrelay.agent.testing;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records the result of every test of a real-CLI test class ({@link Compat}) as one line of
 * {@code target/compatibility/<module>.jsonl}: provider, npm package, the CLI version installed under
 * {@code .clis/node_modules/<package>/package.json} (what actually ran), flow, via, test, PASS/FAIL, time.
 * {@code scripts/compat-table.sh} renders {@code docs/compatibility.md} from these files after the build, so a new CLI
 * version that breaks a flow shows up as a red row. A class whose setup fails (e.g. the CLI is missing) gets one FAIL
 * line, so the row turns red instead of vanishing.
 */
public final class CompatibilityRecorder implements TestWatcher, AfterAllCallback {
    private static final Path OUT_DIR = Path.of(System.getProperty("loginrelay.compat.dir", "target/compatibility"));
    private static final Path REPO = Path.of(System.getProperty("loginrelay.repo.dir", ".."));
    private static final Path CLIS = Path.of(System.getProperty("loginrelay.clis.dir", REPO.resolve(".clis")
        .toString()));
    private static final Set<Class<?>> RECORDED = ConcurrentHashMap.newKeySet();

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, CompatRecord.PASS);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, CompatRecord.FAIL);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        // Real-CLI tests must run; one that was skipped proved nothing.
        record(context, CompatRecord.FAIL);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Class<?> type = context.getRequiredTestClass();
        if (context.getExecutionException().isPresent() && !RECORDED.contains(type)) {
            compat(context).ifPresent(c -> write(c, type.getSimpleName() + " (setup)", CompatRecord.FAIL));
        }
    }

    private void record(ExtensionContext context, String result) {
        RECORDED.add(context.getRequiredTestClass());
        compat(context).ifPresent(c -> write(c, testName(context), result));
    }

    private static Optional<Compat> compat(ExtensionContext context) {
        Optional<Compat> onMethod = context.getTestMethod().map(m -> m.getAnnotation(Compat.class));
        return onMethod.isPresent() ? onMethod
            : Optional.ofNullable(context.getRequiredTestClass().getAnnotation(Compat.class));
    }

    private static String testName(ExtensionContext context) {
        String name = context.getRequiredTestClass().getSimpleName()
            + context.getTestMethod().map(m -> "." + m.getName()).orElse("");
        String display = context.getDisplayName();
        // A parameterized invocation: keep its index ("[2]"), not the arguments (they could be long or secret).
        return display.startsWith("[") && display.contains("]")
            ? name + " " + display.substring(0, display.indexOf(']') + 1) : name;
    }

    private static synchronized void write(Compat c, String test, String result) {
        String cliPackage = pinnedPackages().getOrDefault(c.provider(), c.provider());
        CompatRecord r = new CompatRecord(c.provider(), cliPackage, installedVersion(cliPackage), c.flow(), c.via(),
            test, result, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        Path module = Path.of("").toAbsolutePath().getFileName();
        try {
            Files.createDirectories(OUT_DIR);
            Files.writeString(OUT_DIR.resolve(module + ".jsonl"), r.toJson() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the compatibility record to " + OUT_DIR, e);
        }
    }

    /** provider → npm package, from {@code snapshot/clis.txt} (the one list of pinned CLIs). */
    private static Map<String, String> pinnedPackages() {
        Map<String, String> out = new java.util.HashMap<>();
        try {
            for (String line : Files.readAllLines(REPO.resolve("snapshot/clis.txt"))) {
                String[] f = line.strip().split("\\s+");
                if (!line.isBlank() && !line.startsWith("#") && f.length >= 2) {
                    out.put(f[0], f[1]);
                }
            }
        } catch (IOException e) {
            // no pins readable: the table names the provider instead of the package
        }
        return out;
    }

    /** The version in the installed package's package.json, or "not installed". */
    static String installedVersion(String cliPackage) {
        Path manifest = CLIS.resolve("node_modules").resolve(cliPackage).resolve("package.json");
        try {
            return new JsonObject(Files.readString(manifest)).getString("version", "unknown");
        } catch (IOException | RuntimeException e) {
            return "not installed";
        }
    }
}

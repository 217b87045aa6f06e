package dev.loginrelay.controller.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Dependencies point one way in both modules: no two packages import each other (directly or around a loop), and
 * the lower layers never import the HTTP layer. Read from the sources' import lines and fully qualified names.
 */
class PackageGraphTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void controllerPackagesFormNoCycle() {
        Map<String, Set<String>> g = PackageGraph.of(ROOT.resolve("controller/src/main/java"), "dev.loginrelay.controller");
        assertThat(PackageGraph.cycles(g)).as("package cycles in the controller: %s", g).isEmpty();
    }

    @Test
    void agentPackagesFormNoCycle() {
        Map<String, Set<String>> g = PackageGraph.of(ROOT.resolve("agent/src/main/java"), "dev.loginrelay.agent");
        assertThat(PackageGraph.cycles(g)).as("package cycles in the agent: %s", g).isEmpty();
    }

    @Test
    void lowerLayersNeverImportTheHttpLayer() {
        Map<String, Set<String>> c = PackageGraph.of(ROOT.resolve("controller/src/main/java"), "dev.loginrelay.controller");
        for (String low : List.of("store", "model", "error", "session", "dispatch", "agents", "vm", "metrics")) {
            assertThat(PackageGraph.reachable(c, low)).as("what %s reaches", low).doesNotContain("api");
        }
        assertThat(c.getOrDefault("model", Set.of())).as("model imports").isSubsetOf(Set.of("error", "support"));
        assertThat(c.getOrDefault("error", Set.of())).as("error is a leaf").isEmpty();
        assertThat(c.getOrDefault("dispatch", Set.of())).as("dispatch goes through session/, not the store")
            .doesNotContain("store");
        Map<String, Set<String>> a = PackageGraph.of(ROOT.resolve("agent/src/main/java"), "dev.loginrelay.agent");
        for (String low : List.of("run", "relay", "pty", "provider", "error", "support")) {
            assertThat(PackageGraph.reachable(a, low)).as("what agent %s reaches", low).doesNotContain("api");
        }
        assertThat(a.getOrDefault("error", Set.of())).as("agent error is a leaf").isEmpty();
    }

    @Test
    void onlySessionMovesCallsTheStoresTransition() throws IOException {
        Path src = ROOT.resolve("controller/src/main/java");
        List<String> callers = new ArrayList<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (!f.getParent().endsWith("store") && Files.readString(f).contains(".transition(")) {
                    callers.add(f.getFileName().toString());
                }
            }
        }
        assertThat(callers).as("classes outside store/ that call SessionStore.transition").containsExactly(
            "SessionMoves.java");
    }

    @Test
    void detectsACycleWhenThereIsOne() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertThat(PackageGraph.cycles(g)).containsExactly(new TreeSet<>(Set.of("a", "b", "c")));
    }

    /** The package graph of one source tree: package (relative to the base, "" for the base) to what it imports. */
    static final class PackageGraph {
        private PackageGraph() {
        }

        static Map<String, Set<String>> of(Path src, String base) {
            Pattern ref = Pattern.compile("\\b" + Pattern.quote(base) + "\\.((?:[a-z][a-z0-9_]*\\.)*)[A-Z]");
            Map<String, Set<String>> g = new TreeMap<>();
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String pkg = src.relativize(f.getParent()).toString().replace('/', '.');
                    String rel = pkg.equals(base.replace('.', '/')) ? "" : pkg.substring(Math.min(pkg.length(),
                        base.length() + 1));
                    Set<String> out = g.computeIfAbsent(rel, k -> new TreeSet<>());
                    Matcher m = ref.matcher(Files.readString(f));
                    while (m.find()) {
                        String to = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1);
                        if (!to.equals(rel)) {
                            out.add(to);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return g;
        }

        static Set<String> reachable(Map<String, Set<String>> g, String from) {
            Set<String> seen = new TreeSet<>();
            List<String> todo = new ArrayList<>(g.getOrDefault(from, Set.of()));
            while (!todo.isEmpty()) {
                String p = todo.remove(todo.size() - 1);
                if (seen.add(p)) {
                    todo.addAll(g.getOrDefault(p, Set.of()));
                }
            }
            return seen;
        }

        /** Every set of packages that reach each other (strongly connected, more than one package). */
        static List<Set<String>> cycles(Map<String, Set<String>> g) {
            List<Set<String>> out = new ArrayList<>();
            Set<String> done = new TreeSet<>();
            for (String p : g.keySet()) {
                if (done.contains(p)) {
                    continue;
                }
                Set<String> loop = new TreeSet<>();
                loop.add(p);
                for (String q : reachable(g, p)) {
                    if (!q.equals(p) && reachable(g, q).contains(p)) {
                        loop.add(q);
                    }
                }
                done.addAll(loop);
                if (loop.size() > 1) {
                    out.add(loop);
                }
            }
            return out;
        }
    }
}

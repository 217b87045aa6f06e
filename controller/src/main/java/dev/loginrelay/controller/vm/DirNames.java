package dev.loginrelay.controller.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The names of the directories in a directory. Blocking. */
public final class DirNames {
    private DirNames() {
    }

    /** Empty when {@code dir} does not exist. */
    public static Set<String> under(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> all = Files.list(dir)) {
            return all.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}

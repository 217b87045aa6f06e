package dev.loginrelay.controller.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

class SelfCheckCacheTest {
    @TempDir
    Path dir;

    @Test
    void reusesTheReportOnlyUnderTheSameKey() {
        SelfCheckCache cache = new SelfCheckCache(dir.resolve("doctor/self-check.json"));
        assertThat(cache.read("k1")).isEmpty();
        JsonObject report = new JsonObject().put("providers", List.of(new JsonObject().put("name", "codex")));
        cache.write("k1", report);
        assertThat(cache.read("k1")).contains(report);
        assertThat(cache.read("k2")).as("another jar or other CLIs").isEmpty();
    }

    @Test
    void theKeyChangesWithTheJarTheClisAndTheSpecs() throws IOException {
        Path jar = Files.writeString(dir.resolve("agent.jar"), "jar v1");
        Path bin = Files.createDirectories(dir.resolve("clis/.bin"));
        Path pkg = Files.writeString(Files.createDirectories(dir.resolve("clis/pkg")).resolve("cli.js"), "v1");
        Files.createSymbolicLink(bin.resolve("codex"), pkg);
        String k1 = SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java");
        assertThat(SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java")).as("nothing changed").isEqualTo(k1);

        Files.writeString(pkg, "v2, reinstalled");
        Files.setLastModifiedTime(pkg, FileTime.from(Instant.now().plusSeconds(5)));
        String k2 = SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java");
        assertThat(k2).as("a CLI behind a link changed").isNotEqualTo(k1);

        Files.writeString(jar, "jar v2");
        assertThat(SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java")).as("another agent jar")
            .isNotEqualTo(k2);
        assertThat(SelfCheckCache.keyOf(List.of(jar), List.of(bin), "other java")).isNotEqualTo(
            SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java"));
        String k3 = SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java");
        Files.createSymbolicLink(bin.resolve("claude"), pkg);
        assertThat(SelfCheckCache.keyOf(List.of(jar), List.of(bin), "java")).as("a CLI added").isNotEqualTo(k3);
    }
}

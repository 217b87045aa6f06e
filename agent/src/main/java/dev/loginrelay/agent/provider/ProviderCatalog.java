package dev.loginrelay.agent.provider;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The provider specs this agent knows: the ones shipped in {@code providers/} on the classpath, then every
 * {@code *.json} in the operator directory, which adds specs or replaces shipped ones by name. A spec may say
 * {@code "extends": "codex"} to start from another spec and override only some keys (objects are merged key by key),
 * which is how a test or an operator points a CLI at another issuer without copying the whole spec.
 */
public final class ProviderCatalog {
    private static final Logger log = LoggerFactory.getLogger(ProviderCatalog.class);
    private static final String INDEX = "providers/index.txt";

    private final Map<String, ProviderSpec> specs;

    private ProviderCatalog(Map<String, ProviderSpec> specs) {
        this.specs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(specs)); // keeps the shipped order
    }

    /** Loads shipped specs and, when {@code operatorDir} is not null, the operator's. Fails fast on a bad spec. */
    public static ProviderCatalog load(Path operatorDir) {
        Map<String, JsonObject> raw = new LinkedHashMap<>();
        for (String file : shippedFiles()) {
            putRaw(raw, readResource("providers/" + file), "classpath:providers/" + file);
        }
        if (operatorDir != null && Files.isDirectory(operatorDir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(operatorDir, "*.json")) {
                List<Path> files = new ArrayList<>();
                ds.forEach(files::add);
                files.sort(null);
                for (Path p : files) {
                    putRaw(raw, Files.readString(p), p.toString());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read providers dir " + operatorDir, e);
            }
        }
        Map<String, ProviderSpec> specs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonObject> e : raw.entrySet()) {
            specs.put(e.getKey(), SpecParser.parse(resolve(raw, e.getKey(), 0), e.getKey()));
        }
        log.info("providers loaded: {} (operator dir: {})", specs.keySet(), operatorDir);
        return new ProviderCatalog(specs);
    }

    public Optional<ProviderSpec> find(String name) {
        return Optional.ofNullable(specs.get(name));
    }

    public Collection<ProviderSpec> all() {
        return specs.values();
    }

    private static void putRaw(Map<String, JsonObject> raw, String text, String source) {
        JsonObject json;
        try {
            json = new JsonObject(text);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("provider spec " + source + " is not valid JSON: " + e.getMessage(), e);
        }
        String name = json.getString("name");
        if (name == null || !name.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("provider spec " + source + ": name must match [a-z0-9][a-z0-9._-]*");
        }
        raw.put(name, json);
    }

    private static JsonObject resolve(Map<String, JsonObject> raw, String name, int depth) {
        JsonObject own = raw.get(name);
        String parent = own.getString("extends");
        if (parent == null) {
            return own;
        }
        if (depth > 5 || parent.equals(name) || !raw.containsKey(parent)) {
            throw new IllegalArgumentException("provider spec " + name + ": cannot extend '" + parent + "'");
        }
        JsonObject merged = merge(resolve(raw, parent, depth + 1).copy(), own);
        merged.remove("extends");
        return merged;
    }

    /** Objects merge key by key; everything else (arrays, strings) is replaced. */
    private static JsonObject merge(JsonObject base, JsonObject over) {
        for (String key : over.fieldNames()) {
            Object v = over.getValue(key);
            Object b = base.getValue(key);
            if (v instanceof JsonObject vo && b instanceof JsonObject bo) {
                base.put(key, merge(bo.copy(), vo));
            } else {
                base.put(key, v);
            }
        }
        return base;
    }

    private static List<String> shippedFiles() {
        List<String> files = new ArrayList<>();
        for (String line : readResource(INDEX).split("\n")) {
            String f = line.strip();
            if (!f.isEmpty() && !f.startsWith("#")) {
                files.add(f);
            }
        }
        return files;
    }

    private static String readResource(String path) {
        try (InputStream in = ProviderCatalog.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

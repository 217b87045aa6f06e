package dev.loginrelay.agent.pty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Recorded PTY transcripts from the classpath, and the ways the tests cut them into chunks. */
final class Transcripts {

    private Transcripts() {
    }

    /** The raw PTY bytes of {@code transcripts/<name>.raw}, e.g. {@code codex/login-correctstate}. */
    static byte[] load(String name) {
        String resource = "/transcripts/" + name + ".raw";
        try (InputStream in = Transcripts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How a byte stream is cut before it reaches the scanner. */
    record Chunking(String name, Supplier<IntSupplier> sizes) {

        static Chunking whole() {
            return new Chunking("whole", () -> () -> Integer.MAX_VALUE);
        }

        static Chunking oneByte() {
            return new Chunking("1 byte", () -> () -> 1);
        }

        /** Chunks of 1 to {@code max} bytes, the same ones for the same seed. */
        static Chunking random(long seed, int max) {
            return new Chunking("random seed " + seed + " max " + max, () -> {
                Random random = new Random(seed);
                return () -> 1 + random.nextInt(max);
            });
        }

        /** All events, {@link TerminalScanner#finish()} included. */
        List<ScanEvent> scan(ScanRules rules, byte[] bytes) {
            TerminalScanner scanner = new TerminalScanner(rules);
            IntSupplier next = sizes.get();
            List<ScanEvent> events = new ArrayList<>();
            for (int pos = 0; pos < bytes.length; ) {
                int len = Math.min(next.getAsInt(), bytes.length - pos);
                events.addAll(scanner.feed(bytes, pos, len));
                pos += len;
            }
            events.addAll(scanner.finish());
            return events;
        }

        /** The stripped text, concatenated. */
        String strip(byte[] bytes) {
            TerminalText text = new TerminalText();
            IntSupplier next = sizes.get();
            StringBuilder out = new StringBuilder();
            for (int pos = 0; pos < bytes.length; ) {
                int len = Math.min(next.getAsInt(), bytes.length - pos);
                out.append(text.feed(bytes, pos, len));
                pos += len;
            }
            return out.append(text.finish()).toString();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Whole, one byte at a time, and random cuts from tiny to larger than any fixture line. */
    static Stream<Chunking> chunkings() {
        return Stream.of(Chunking.whole(), Chunking.oneByte(), Chunking.random(1, 3), Chunking.random(2, 17),
            Chunking.random(3, 200), Chunking.random(4, 4096));
    }

    /** The same without one byte at a time, for the fixtures of several hundred KiB. */
    static Stream<Chunking> fastChunkings() {
        return chunkings().filter(c -> !c.name().equals("1 byte"));
    }

    static List<String> authUrls(List<ScanEvent> events) {
        return events.stream()
            .filter(ScanEvent.AuthUrl.class::isInstance)
            .map(e -> ((ScanEvent.AuthUrl) e).url())
            .toList();
    }

    /** The decoded value of one query parameter, or null. */
    static String queryParam(String url, String name) {
        String query = URI.create(url).getRawQuery();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Host and path, e.g. {@code auth.openai.com/oauth/authorize}. */
    static String hostAndPath(String url) {
        URI uri = URI.create(url);
        return uri.getHost() + uri.getRawPath();
    }
}

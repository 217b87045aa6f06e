package dev.loginrelay.controller.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** pgbench inserting one row per transaction, per-transaction latencies from its log (-l). */
final class PgBench {
    private final String binary;
    private final int port;
    private final int clients;
    private final int seconds;
    private final Path dir;

    record Result(double perSecond, double p50Ms, double p99Ms) {
    }

    PgBench(String binary, int port, int clients, int seconds, Path dir) {
        this.binary = binary;
        this.port = port;
        this.clients = clients;
        this.seconds = seconds;
        this.dir = dir;
    }

    Result run() throws IOException, InterruptedException {
        Path work = Files.createTempDirectory(dir, "pgbench-" + clients + "-");
        Path script = work.resolve("insert.sql");
        Files.writeString(script, "INSERT INTO pgbench_one_row (owner) VALUES ('bench-' || :client_id);\n");
        ProcessBuilder pb = new ProcessBuilder(binary, "-h", "127.0.0.1", "-p", Integer.toString(port), "-U",
            "postgres", "-n", "-M", "prepared", "-c", Integer.toString(clients), "-j",
            Integer.toString(Math.min(clients, 2)), "-T", Integer.toString(seconds), "-l", "--log-prefix",
            work.resolve("log").toString(), "-f", script.toString(), "postgres")
            .directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("PGCONNECT_TIMEOUT", "5");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("pgbench failed: " + out);
        }
        List<Long> latencies = new ArrayList<>();
        try (DirectoryStream<Path> logs = Files.newDirectoryStream(work, "log*")) {
            for (Path log : logs) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split(" ");
                    latencies.add(Long.parseLong(f[2]) * 1000); // µs -> ns
                }
            }
        }
        return new Result(latencies.size() / (double) seconds, Stats.percentileMs(latencies, 50),
            Stats.percentileMs(latencies, 99));
    }
}

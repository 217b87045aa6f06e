package dev.loginrelay.controller.bench;

import dev.loginrelay.controller.Controller;
import dev.loginrelay.controller.ControllerConfig;
import dev.loginrelay.controller.support.Secret;
import io.vertx.core.Vertx;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Session creations per second and p50/p99 of create + read at several client counts, against real PostgreSQL,
 * side by side in the same run with pgbench inserting one row per transaction into the same database at the same
 * concurrency. Usage: {@code ControllerBench [seconds=10] [clients=1,16,64] [pgbench=/usr/bin/pgbench]}; prints a
 * markdown table. Bounded: every phase stops after its duration; everything listens on 127.0.0.1.
 */
public final class ControllerBench {
    private static final String API_KEY = "bench-api-key-000000000000000000";

    private ControllerBench() {
    }

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } finally {
            System.exit(0); // bounded: nothing lingers after the table is printed (or after a failure)
        }
    }

    private static void run(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        List<Integer> levels = new ArrayList<>();
        for (String s : (args.length > 1 ? args[1] : "1,16,64").split(",")) {
            levels.add(Integer.parseInt(s.strip()));
        }
        String pgbench = args.length > 2 ? args[2] : "/usr/bin/pgbench";
        Path dir = Files.createTempDirectory("lr-bench");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            String jdbc = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
            Vertx vertx = Vertx.vertx();
            ControllerConfig config = ControllerConfig.fromEnv(Map.of("LOGINRELAY_HTTP_PORT", "0",
                    "LOGINRELAY_DATA_DIR", dir.toString(), "LOGINRELAY_DATABASE_POOL_SIZE", "10"))
                .withDatabase(jdbc, "postgres", null).withSecrets(Secret.of(API_KEY), Secret.of("bench-operator-x"));
            Controller controller = Controller.deploy(vertx, config, new ParkedVmProvider())
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            // After the controller's migrations (Flyway wants to find its own schema first).
            try (Connection c = DriverManager.getConnection(jdbc, "postgres", null); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE pgbench_one_row (id bigserial PRIMARY KEY, owner text NOT NULL, "
                    + "created_at timestamptz NOT NULL DEFAULT now())");
            }
            System.out.printf("machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            System.out.println("| clients | controller create+read /s | p50 ms | p99 ms | pgbench insert tps | "
                + "p50 ms | p99 ms | ratio (controller/pgbench) |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (int clients : levels) {
                new HttpLoad(controller.port(), API_KEY, clients, 2).run(); // warm-up
                HttpLoad.Result api = new HttpLoad(controller.port(), API_KEY, clients, seconds).run();
                PgBench.Result db = new PgBench(pgbench, pg.getPort(), clients, seconds, dir).run();
                System.out.printf("| %d | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f |%n", clients, api.perSecond(),
                    api.p50Ms(), api.p99Ms(), db.perSecond(), db.p50Ms(), db.p99Ms(), api.perSecond() / db.perSecond());
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}

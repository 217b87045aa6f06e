package dev.loginrelay.controller.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.testing.PgFixture;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class DbTest {
    private static Db db;

    @BeforeAll
    static void start(Vertx vertx) {
        db = Db.create(vertx, PgFixture.instance().newSchema());
        Await.result(db.migrate());
        Await.result(db.call(c -> {
            try (Statement st = c.createStatement()) {
                return st.executeUpdate("CREATE TABLE scratch (k text PRIMARY KEY)");
            }
        }));
    }

    @AfterAll
    static void close() {
        Await.result(db.close());
    }

    @Test
    @Timeout(10)
    void runsJdbcOnTheNamedWorkersNeverOnTheEventLoop(Vertx vertx, VertxTestContext ctx) {
        vertx.runOnContext(v -> db.call(c -> Thread.currentThread().getName() + "|" + Context.isOnEventLoopThread()
                + "|" + Context.isOnWorkerThread())
            .onComplete(ctx.succeeding(where -> ctx.verify(() -> {
                assertThat(Context.isOnEventLoopThread()).as("result delivered on the event loop").isTrue();
                assertThat(where).startsWith("jdbc-").endsWith("|false|true");
                ctx.completeNow();
            }))));
    }

    @Test
    void migratingAgainRunsNothing() {
        assertThat(Await.result(db.migrate())).isZero();
    }

    @Test
    void uniqueViolationBecomesConflictNamingTheConstraint() {
        insertScratch("dup");

        ApiException e = Await.failure(db.call(c -> insert(c, "dup")), ErrorCode.CONFLICT);

        assertThat(e.getMessage()).contains("scratch_pkey").doesNotContain("dup");
    }

    @Test
    void serializationFailureAndDeadlockAskForRetry() {
        for (String state : new String[] {"serialization_failure", "deadlock_detected"}) {
            Await.failure(db.call(c -> raise(c, state)), ErrorCode.RETRY_LATER);
        }
    }

    @Test
    void aValueTheDatabaseCannotStoreIsTheInputsFault() {
        for (String state : new String[] {"character_not_in_repertoire", "untranslatable_character",
            "string_data_right_truncation"}) {
            Await.failure(db.call(c -> raise(c, state)), ErrorCode.INVALID_INPUT);
        }
    }

    @Test
    void otherErrorsBecomeInternalWithTheirSqlState() {
        ApiException e = Await.failure(db.call(c -> raise(c, "division_by_zero")), ErrorCode.INTERNAL);

        assertThat(e.getMessage()).contains("sqlstate=22012");
        assertThat(e.getCause()).isInstanceOf(SQLException.class);
    }

    @Test
    void transactionRollsBackWhenWorkThrows() {
        Await.failure(db.inTransaction(c -> {
            insert(c, "rolled-back");
            throw new ApiException(ErrorCode.BAD_REQUEST, "changed my mind");
        }), ErrorCode.BAD_REQUEST);
        Await.failure(db.inTransaction(c -> insert(c, "also-rolled-back") + raise(c, "serialization_failure")),
            ErrorCode.RETRY_LATER);

        assertThat(count("rolled-back") + count("also-rolled-back")).isZero();
        int inserted = Await.result(db.inTransaction(c -> insert(c, "committed")));
        assertThat(inserted).isEqualTo(1);
        assertThat(count("committed")).isEqualTo(1);
    }

    @Test
    @Timeout(20)
    void unreachableDatabaseFailsMigrateAsUnavailable(Vertx vertx) {
        DbConfig nowhere = new DbConfig("jdbc:postgresql://127.0.0.1:1/none", "u", "p", 2, Duration.ofMillis(500),
            Duration.ofSeconds(5), "nowhere");
        Db down = Db.create(vertx, nowhere);
        try {
            ApiException e = Await.failure(down.migrate(), ErrorCode.UNAVAILABLE);
            assertThat(e.getMessage()).contains("pool=nowhere");
        } finally {
            Await.result(down.close());
        }
    }

    @Test
    void configToStringMasksPasswords() {
        DbConfig c = DbConfig.of("jdbc:postgresql://db/lr?user=lr&password=hunter2&ssl=true", "lr", "s3cret");

        assertThat(c.toString()).doesNotContain("hunter2", "s3cret").contains("password=<masked>&ssl=true");
    }

    @Test
    void configRefusesNonsense() {
        assertThatThrownBy(() -> DbConfig.of("jdbc:mysql://db/x", "u", null)).hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> DbConfig.of("jdbc:postgresql://db/x", "u", null).withPoolSize(0))
            .hasMessageContaining("poolSize");
        assertThatThrownBy(() -> DbConfig.of("jdbc:postgresql://db/x", "u", null).withPoolName("Bad Name"))
            .hasMessageContaining("poolName");
    }

    private static int insert(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO scratch (k) VALUES (?)")) {
            ps.setString(1, key);
            return ps.executeUpdate();
        }
    }

    private static int raise(Connection c, String condition) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '" + condition + "'; END $$");
            return 0;
        }
    }

    private static void insertScratch(String key) {
        Await.result(db.call(c -> insert(c, key)));
    }

    private static long count(String key) {
        return Await.result(db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM scratch WHERE k = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }));
    }
}

package dev.loginrelay.controller.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * PostgreSQL in a container for {@link PgFixture}, through Testcontainers: {@code LOGINRELAY_TEST_PG_IMAGE} (default
 * the official {@code postgres:16}, which CI pulls; any image whose entrypoint takes the official one's POSTGRES_*
 * variables, such as the one {@code scripts/build-pg-image.sh} builds from Debian's packages). With
 * {@code LOGINRELAY_TEST_PG_NETWORK=host} the container shares the host's network and PostgreSQL listens on a free
 * port of 127.0.0.1 only (an engine started with {@code --bridge=none} publishes no ports); otherwise the port is
 * published as usual. Kept in this class so PgFixture loads no Testcontainers class when it does not use them.
 */
final class PgContainer {
    private static final Logger log = LoggerFactory.getLogger(PgContainer.class);
    static final String DEFAULT_IMAGE = "postgres:16";

    private final PostgreSQLContainer<?> container;
    private final String jdbcUrl;
    private final String image;
    private final String network;

    private PgContainer(PostgreSQLContainer<?> container, String jdbcUrl, String image, String network) {
        this.container = container;
        this.jdbcUrl = jdbcUrl;
        this.image = image;
        this.network = network;
    }

    /**
     * Whether a Docker engine answers. Asks Testcontainers only when there is somewhere to ask (DOCKER_HOST or the
     * default socket), so a machine without Docker is not slowed down by its search.
     */
    static boolean engineAnswers() {
        String host = System.getenv("DOCKER_HOST");
        if ((host == null || host.isBlank()) && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            log.info("no usable Docker engine: {}", e.toString());
            return false;
        }
    }

    /** Starts the container (stopped by a JVM shutdown hook); fails with the reason when it cannot. */
    static PgContainer start() {
        String image = System.getenv().getOrDefault("LOGINRELAY_TEST_PG_IMAGE", DEFAULT_IMAGE).strip();
        boolean host = "host".equals(System.getenv().getOrDefault("LOGINRELAY_TEST_PG_NETWORK", "").strip());
        DockerImageName name = DockerImageName.parse(image).asCompatibleSubstituteFor("postgres");
        PostgreSQLContainer<?> c;
        if (host) {
            int port = freePort();
            // No published port to wait for (Testcontainers waits until every exposed port is mapped): the log line
            // "ready to accept connections" of the real server, then a JDBC connection, tell that it listens.
            c = new HostNetworkPostgres(name, port).withNetworkMode("host").withExposedPorts()
                .withCommand("postgres", "-c", "fsync=off", "-c", "port=" + port, "-c", "listen_addresses=127.0.0.1");
        } else {
            c = new PostgreSQLContainer<>(name);
        }
        long started = System.nanoTime();
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "pg-container-stop"));
        String url = c.getJdbcUrl();
        log.info("test database container {} ({}) up in {} ms at {}", image, c.getContainerId().substring(0, 12),
            (System.nanoTime() - started) / 1_000_000, url);
        return new PgContainer(c, url, image, host ? "host" : "published-port");
    }

    /** On the host's network: PostgreSQL on 127.0.0.1:{@code port}, no mapped port to ask the engine for. */
    private static final class HostNetworkPostgres extends PostgreSQLContainer<HostNetworkPostgres> {
        private final int port;

        HostNetworkPostgres(DockerImageName image, int port) {
            super(image);
            this.port = port;
        }

        @Override
        public String getHost() {
            return "127.0.0.1";
        }

        @Override
        public String getJdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + getDatabaseName() + constructUrlParameters("?", "&");
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    String user() {
        return container.getUsername();
    }

    String password() {
        return container.getPassword();
    }

    String image() {
        return image;
    }

    String network() {
        return network;
    }
}

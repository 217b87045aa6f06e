package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.CapturedLogs;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redaction across a real login: captures every log line of this JVM (logback, as {@link RedactionTest} does) and
 * every API response the test saw, then asserts that none of the secrets (what the fake identity provider issued, the
 * codes the user handed back) appears in them, in the run's events and view, or in its diagnostics file.
 */
final class LeakCheck implements AutoCloseable {
    private final ListAppender<ILoggingEvent> logs = new CapturedLogs();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    private LeakCheck() {
    }

    static LeakCheck start() {
        LeakCheck c = new LeakCheck();
        c.logs.start();
        root().addAppender(c.logs);
        return c;
    }

    /** Keeps an API response body for the final check. */
    AgentFixture.Response saw(AgentFixture.Response r) {
        seen.add(r.body());
        return r;
    }

    /** Asserts that no secret reached a log line, a response seen, or run {@code runId}'s events, view or file. */
    void assertNoLeak(AgentFixture agent, String runId, Collection<String> secrets) throws Exception {
        List<String> texts = new ArrayList<>(seen);
        texts.add(agent.get("/api/v1/runs/" + runId + "/events?after=0").body());
        texts.add(agent.get("/api/v1/runs/" + runId).body());
        texts.add(agent.get("/api/v1/runs").body());
        Path diagnostics = agent.config().logDir().resolve(runId + ".log");
        assertThat(diagnostics).as("diagnostics file of %s", runId).exists();
        texts.add(Files.readString(diagnostics));
        logs.list.forEach(e -> texts.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
            : e.getThrowableProxy().getMessage())));
        String all = String.join("\n", texts);
        assertThat(all).as("the check sees the run").contains(runId);
        assertThat(secrets).as("secrets to look for").isNotEmpty();
        for (String s : secrets) {
            assertThat(s).as("a secret worth looking for").hasSizeGreaterThanOrEqualTo(8);
            assertThat(all).as("secret %s... leaked", s.substring(0, 6)).doesNotContain(s);
        }
    }

    @Override
    public void close() {
        root().detachAppender(logs);
        logs.stop();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}

package dev.loginrelay.controller.metrics;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.SessionState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prometheus metrics of the sessions (Micrometer), named and typed by Prometheus conventions: the sessions by status
 * and provider (a gauge refreshed from the database, so it is right on every replica), histograms of the time to the
 * auth URL and to ready (cumulative buckets, so any quantile over any window can be computed and nothing decays),
 * failures by provider and error code (failed or timed out), and cancellations by provider, apart from failures. The
 * README's metrics table lists every family; a test holds the two together.
 */
public final class SessionMetrics {
    /** Bucket bounds of the time to URL: a CLI prints its URL in 0.1-4 s, an agent starts in about 1-2 s. */
    static final Duration[] URL_BUCKETS = seconds(0.5, 1, 2, 3, 5, 10, 20, 30, 60);
    /** Bucket bounds of the time to ready, which includes the user's sign-in in their browser. */
    static final Duration[] READY_BUCKETS = seconds(5, 10, 20, 30, 60, 120, 300, 600, 900);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();

    /** A session moved from {@code from} to its current status; records the histograms and the counters. */
    public void moved(AuthSession s, SessionState from) {
        Duration since = Duration.between(s.createdAt(), Instant.now());
        if (s.status() == SessionState.AWAITING_USER && from == SessionState.STARTING) {
            Timer.builder("loginrelay.time.to.url").description("From session creation to the auth URL or code")
                .tag("provider", s.provider()).serviceLevelObjectives(URL_BUCKETS).register(registry).record(since);
        } else if (s.status() == SessionState.READY) {
            Timer.builder("loginrelay.time.to.ready").description("From session creation to ready")
                .tag("provider", s.provider()).serviceLevelObjectives(READY_BUCKETS).register(registry)
                .record(since);
        } else if (s.status() == SessionState.FAILED || s.status() == SessionState.TIMEOUT) {
            Counter.builder("loginrelay.session.failures").description("Sessions that failed or timed out")
                .tag("provider", s.provider()).tag("error_code", s.errorCode() == null ? "UNKNOWN" : s.errorCode())
                .register(registry).increment();
        } else if (s.status() == SessionState.CANCELLED) {
            Counter.builder("loginrelay.session.cancellations").description("Sessions cancelled (not failures)")
                .tag("provider", s.provider()).register(registry).increment();
        }
    }

    /** Sets the gauge of sessions per (status, provider) from a database count. */
    public void sessionCount(String status, String provider, long count) {
        byStatus.computeIfAbsent(status + "|" + provider, k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder("loginrelay_sessions", v, AtomicLong::get).description("Sessions by status and provider")
                .tag("status", status).tag("provider", provider).register(registry);
            return v;
        }).set(count);
    }

    /** Zeroes every known gauge before a refresh, so a status that emptied shows 0. */
    public void resetCounts() {
        byStatus.values().forEach(v -> v.set(0));
    }

    /** Gauges {@code loginrelay_pool_agents{state}} of what the VM pool holds ({@code idle}, {@code busy}, ...). */
    public void pool(java.util.function.Supplier<Map<String, Integer>> capacity) {
        for (String state : capacity.get().keySet()) {
            Gauge.builder("loginrelay_pool_agents", () -> capacity.get().getOrDefault(state, 0))
                .description("What the VM pool holds: agents idle, busy, starting; sessions served")
                .tag("state", state).register(registry);
        }
    }

    /** The Prometheus text exposition (format 0.0.4) of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    private static Duration[] seconds(double... s) {
        Duration[] out = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Duration.ofMillis(Math.round(s[i] * 1000));
        }
        return out;
    }
}

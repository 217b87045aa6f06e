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
 * Prometheus metrics of the sessions (Micrometer): sessions by status and provider (a gauge refreshed from the
 * database, so it is right on every replica), time to URL, time to ready, and failures by error code.
 */
public final class SessionMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();

    /** A session moved from {@code from} to its current status; records the timers and failure counters. */
    public void moved(AuthSession s, SessionState from) {
        Duration since = Duration.between(s.createdAt(), Instant.now());
        if (s.status() == SessionState.AWAITING_USER && from == SessionState.STARTING) {
            Timer.builder("loginrelay_time_to_url").description("From session creation to the auth URL or code")
                .tag("provider", s.provider()).publishPercentiles(0.5, 0.99).register(registry).record(since);
        } else if (s.status() == SessionState.READY) {
            Timer.builder("loginrelay_time_to_ready").description("From session creation to ready")
                .tag("provider", s.provider()).publishPercentiles(0.5, 0.99).register(registry).record(since);
        }
        if (s.status().isTerminal() && s.status() != SessionState.READY) {
            Counter.builder("loginrelay_session_failures").description("Sessions that ended other than ready")
                .tag("provider", s.provider()).tag("status", s.status().wireName())
                .tag("error_code", s.errorCode() == null ? "none" : s.errorCode()).register(registry).increment();
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

    public String scrape() {
        return registry.scrape();
    }
}

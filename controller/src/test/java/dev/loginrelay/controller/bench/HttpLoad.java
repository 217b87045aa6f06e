package dev.loginrelay.controller.bench;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** N client threads, each looping create (API key) then read (its session token) until the duration ends. */
final class HttpLoad {
    private static final AtomicLong USERS = new AtomicLong();
    private final int port;
    private final String apiKey;
    private final int clients;
    private final int seconds;

    record Result(double perSecond, double p50Ms, double p99Ms) {
    }

    HttpLoad(int port, String apiKey, int clients, int seconds) {
        this.port = port;
        this.apiKey = apiKey;
        this.clients = clients;
        this.seconds = seconds;
    }

    Result run() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    if (createAndRead(http)) {
                        latencies.add(System.nanoTime() - t0);
                    } else {
                        errors.incrementAndGet();
                    }
                }
            }, "bench-client-" + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (errors.get() > 0) {
            System.err.println("http load: " + errors.get() + " failed create+read pairs at " + clients + " clients");
        }
        return new Result(latencies.size() / (double) seconds, Stats.percentileMs(latencies, 50),
            Stats.percentileMs(latencies, 99));
    }

    private boolean createAndRead(HttpClient http) {
        try {
            String body = new JsonObject().put("provider", "bench").put("userId", "bench-" + USERS.incrementAndGet())
                .encode();
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(uri("/api/v1/auth-sessions"))
                .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                return false;
            }
            JsonObject s = new JsonObject(created.body());
            HttpResponse<String> read = http.send(HttpRequest.newBuilder(uri("/api/v1/auth-sessions/"
                    + s.getString("id"))).header("Authorization", "Bearer " + s.getString("sessionToken"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return read.statusCode() == 200;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}

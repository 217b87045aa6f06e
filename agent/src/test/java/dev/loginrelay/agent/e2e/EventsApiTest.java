package dev.loginrelay.agent.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/runs/{id}/events} as the controller reads it: long-poll JSON ({@code after}, {@code waitMs}) and
 * Server-Sent Events, and a reader that restarts from the last sequence it kept. The runs are fake device-code logins
 * that wait until the test "approves" them, so the test decides when the next events happen.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a stuck stream read must not hang the build
class EventsApiTest {
    private static final String PROVIDER = "fake-device-events";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    static Path dir;
    static AgentFixture agent;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = new AgentFixture(dir).spec(FakeSpecs.device(PROVIDER, new JsonObject()
                .put("FAKECLI_APPROVE_FILE", dir.resolve("approve-${SESSION_ID}").toString())))
            .start();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void longPollAnswersAsSoonAsTheNextEventArrives() throws Exception {
        String id = newId();
        long k = startAndAwaitCode(id);
        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<String>> poll = HTTP.sendAsync(request(id, "?after=" + k + "&waitMs=5000")
            .build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        assertThat(poll).as("the poll waits while nothing happens").isNotDone();

        approve(id);
        HttpResponse<String> r = poll.get(10, TimeUnit.SECONDS);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        JsonArray events = new JsonObject(r.body()).getJsonArray("events");
        assertThat(events).as(r.body()).isNotEmpty();
        assertThat(events.getJsonObject(0).getLong("seq")).isEqualTo(k + 1);
        assertThat(events.getJsonObject(0).getString("kind")).isEqualTo("cli_reported_success");
        assertThat(tookMs).as("answered on the event, not after waitMs=5000").isLessThan(4000);
    }

    @Test
    void longPollReturnsNothingAfterWaitMsWhenNothingHappens() throws Exception {
        String id = newId();
        long k = startAndAwaitCode(id);
        long sent = System.nanoTime();
        JsonObject page = agent.get(events(id, "?after=" + k + "&waitMs=800")).json();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertThat(page.getJsonArray("events")).isEmpty();
        assertThat(page.getLong("lastSeq")).isEqualTo(k);
        assertThat(page.getBoolean("terminal")).isFalse();
        assertThat(tookMs).as("waited about waitMs").isBetween(750L, 4000L);
        agent.post("/api/v1/runs/" + id + "/cancel", null);
    }

    @Test
    void afterBeyondTheLastSeqReturnsNothing() throws Exception {
        String id = newId();
        long k = startAndAwaitCode(id);
        assertThat(agent.get(events(id, "?after=" + (k + 100))).json().getJsonArray("events")).isEmpty();

        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<String>> poll = HTTP.sendAsync(request(id, "?after=" + (k + 100)
            + "&waitMs=1500").build(), HttpResponse.BodyHandlers.ofString());
        approve(id); // events k+1.. follow, all at or below after: none of them may answer the poll
        JsonObject page = new JsonObject(poll.get(10, TimeUnit.SECONDS).body());
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertThat(page.getJsonArray("events")).isEmpty();
        assertThat(tookMs).as("no early, empty answer for an event the reader is already past").isGreaterThan(1400);

        long last = agent.awaitState(id, "ready", 30).getLong("lastSeq");
        sent = System.nanoTime();
        page = agent.get(events(id, "?after=" + (last + 100) + "&waitMs=5000")).json();
        assertThat(page.getJsonArray("events")).isEmpty();
        assertThat(page.getBoolean("terminal")).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)).as("a finished run has no next event")
            .isLessThan(2000);
    }

    @Test
    void sseSendsEveryEventInSeqOrderAndEndsAfterTheTerminalEvent() throws Exception {
        String id = newId();
        startAndAwaitCode(id);
        List<Frame> frames = new ArrayList<>();
        try (Sse sse = Sse.open(id, 0)) {
            assertThat(sse.response.statusCode()).isEqualTo(200);
            assertThat(sse.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            frames.addAll(sse.readUntil("device_code_ready"));
            approve(id);
            for (Frame f = sse.next(); f != null; f = sse.next()) {
                frames.add(f);
            }
        }
        assertThat(frames).extracting(Frame::id).containsExactlyElementsOf(seqs(1, frames.size()));
        assertThat(frames).allSatisfy(f -> {
            assertThat(f.data().getLong("seq")).isEqualTo(f.id());
            assertThat(f.data().getString("kind")).isEqualTo(f.event());
        });
        Frame last = frames.get(frames.size() - 1);
        assertThat(last.event()).isEqualTo("ready");
        assertThat(frames).extracting(Frame::data).containsExactlyElementsOf(allEvents(id));
    }

    @Test
    void sseClientThatReconnectsWithItsLastIdGetsOnlyTheRest() throws Exception {
        String id = newId();
        startAndAwaitCode(id);
        List<Frame> first;
        try (Sse sse = Sse.open(id, 0)) {
            first = sse.readUntil("device_code_ready");
        }
        long lastId = first.get(first.size() - 1).id();

        List<Frame> rest = new ArrayList<>();
        try (Sse sse = Sse.open(id, lastId)) { // nothing to send yet: the 200 must come at once all the same
            assertThat(sse.response.statusCode()).isEqualTo(200);
            approve(id);
            for (Frame f = sse.next(); f != null; f = sse.next()) {
                rest.add(f);
            }
        }
        assertThat(rest).extracting(Frame::id).containsExactlyElementsOf(seqs(lastId + 1, lastId + rest.size()));
        assertThat(rest.get(rest.size() - 1).event()).isEqualTo("ready");
        List<Frame> all = new ArrayList<>(first);
        all.addAll(rest);
        assertThat(all).extracting(Frame::data).containsExactlyElementsOf(allEvents(id));
    }

    @Test
    void sseReconnectAfterTheTerminalEventEndsAtOnce() throws Exception {
        String id = newId();
        startAndAwaitCode(id);
        approve(id);
        long last = agent.awaitState(id, "ready", 30).getLong("lastSeq");
        try (Sse sse = Sse.open(id, last)) {
            assertThat(sse.next()).as("nothing after the terminal event: the stream ends, empty").isNull();
        }
        try (Sse sse = Sse.open(id, last - 1)) {
            Frame f = sse.next();
            assertThat(f.id()).isEqualTo(last);
            assertThat(f.event()).isEqualTo("ready");
            assertThat(sse.next()).isNull();
        }
    }

    @Test
    void sseSkipsEventsAtOrBelowAfterAndStillEndsWithTheRun() throws Exception {
        String id = newId();
        long k = startAndAwaitCode(id);
        try (Sse sse = Sse.open(id, k + 100)) {
            approve(id);
            assertThat(sse.next()).as("every event of this run is at or below after=" + (k + 100)).isNull();
        }
        assertThat(agent.run(id).getString("state")).isEqualTo("ready");
    }

    @Test
    void sseForAnUnknownRunIsAJsonError() throws Exception {
        HttpResponse<String> r = HTTP.send(request("no-such-run", "").header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code")).isEqualTo("RUN_NOT_FOUND");
    }

    @Test
    void aRestartedReaderResumesFromItsLastSeqWithNoGapOrDuplicate() throws Exception {
        String id = newId();
        long k = startAndAwaitCode(id);
        List<JsonObject> firstLife = list(agent.get(events(id, "?after=0")).json().getJsonArray("events"));
        assertThat(firstLife).hasSize((int) k);
        long kept = k - 1; // the reader stored seq k-1, then died before it stored k

        approve(id);
        List<JsonObject> secondLife = new ArrayList<>();
        long after = kept;
        boolean terminal = false;
        while (!terminal) {
            JsonObject page = agent.get(events(id, "?after=" + after + "&waitMs=5000")).json();
            List<JsonObject> got = list(page.getJsonArray("events"));
            secondLife.addAll(got);
            after = got.isEmpty() ? after : got.get(got.size() - 1).getLong("seq");
            terminal = page.getBoolean("terminal") && after == page.getLong("lastSeq");
        }
        assertThat(secondLife.get(0).getLong("seq")).isEqualTo(kept + 1);
        List<JsonObject> merged = new ArrayList<>(firstLife.subList(0, (int) kept));
        merged.addAll(secondLife);
        assertThat(merged).extracting(e -> e.getLong("seq")).containsExactlyElementsOf(seqs(1, merged.size()));
        assertThat(merged).containsExactlyElementsOf(allEvents(id));
        assertThat(merged.get(merged.size() - 1).getString("kind")).isEqualTo("ready");
    }

    private static String newId() {
        return "events-" + SEQ.incrementAndGet();
    }

    /** Starts a run and waits until it shows the device code; returns its last seq then. */
    private static long startAndAwaitCode(String id) throws Exception {
        agent.startRun(id, PROVIDER);
        agent.awaitRun(id, v -> "awaiting_user".equals(v.getString("state")), 30);
        AgentFixture.awaitTrue(() -> kinds(id).containsAll(List.of("cli_started", "device_code_ready")), 10,
            "cli_started and device_code_ready of " + id);
        return agent.run(id).getLong("lastSeq");
    }

    private static List<String> kinds(String id) {
        try {
            return agent.eventKinds(id);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The user approves the device code: the fake CLI then succeeds, exits and the run goes on to ready. */
    private static void approve(String id) throws Exception {
        Path tmp = dir.resolve("approve-" + id + ".tmp");
        Files.writeString(tmp, "approve");
        Files.move(tmp, dir.resolve("approve-" + id), StandardCopyOption.ATOMIC_MOVE);
    }

    private static String events(String id, String query) {
        return "/api/v1/runs/" + id + "/events" + query;
    }

    private static HttpRequest.Builder request(String id, String query) {
        return HttpRequest.newBuilder(agent.uri(events(id, query))).timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + agent.token());
    }

    private static List<JsonObject> allEvents(String id) throws Exception {
        return list(agent.get(events(id, "?after=0")).json().getJsonArray("events"));
    }

    private static List<JsonObject> list(JsonArray a) {
        return a.stream().map(JsonObject.class::cast).toList();
    }

    private static List<Long> seqs(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    /** One Server-Sent Event. */
    record Frame(long id, String event, JsonObject data) {
    }

    /** An open event stream, read frame by frame as the lines arrive. */
    private static final class Sse implements AutoCloseable {
        final HttpResponse<Stream<String>> response;
        private final Iterator<String> lines;

        private Sse(HttpResponse<Stream<String>> response) {
            this.response = response;
            this.lines = response.body().iterator();
        }

        static Sse open(String id, long after) throws Exception {
            return new Sse(HTTP.send(request(id, "?after=" + after).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofLines()));
        }

        /** The next frame, or null once the server has ended the stream. Comments (keep-alives) are skipped. */
        Frame next() {
            Long id = null;
            String event = null;
            String data = null;
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.isEmpty()) {
                    if (data != null) {
                        return new Frame(id, event, new JsonObject(data));
                    }
                } else if (line.startsWith("id: ")) {
                    id = Long.parseLong(line.substring(4));
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                }
            }
            assertThat(data).as("a frame cut off by the end of the stream").isNull();
            return null;
        }

        List<Frame> readUntil(String kind) {
            List<Frame> out = new ArrayList<>();
            Frame f;
            do {
                f = next();
                assertThat(f).as("stream ended before " + kind + "; got " + out).isNotNull();
                out.add(f);
            } while (!f.event().equals(kind));
            return out;
        }

        @Override
        public void close() {
            response.body().close();
        }
    }
}

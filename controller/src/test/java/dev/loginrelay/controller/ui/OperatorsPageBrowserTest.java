package dev.loginrelay.controller.ui;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.support.ui.Select;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operators' page in headless Chromium: the token form, the sessions table with its counts and filters, live
 * refresh, and one session's page with its timeline; sessions are made through the API by real agents and fake CLIs.
 */
@Timeout(240)
class OperatorsPageBrowserTest {
    @TempDir
    static Path dir;
    static ControllerFixture c;
    static Browser b;
    static String ready;
    static String failed;
    static String cancelled;

    @BeforeAll
    static void start() throws Exception {
        c = ControllerFixture.forPages(dir)
            .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()), "Codex (fake CLI)").start();
        ready = loopback("op-alice", "code=ok&state={state}", "ready");
        failed = loopback("op-bob", "error=access_denied&error_description=User%20denied&state={state}", "failed");
        cancelled = create("op-carol");
        c.awaitStatus(cancelled, "awaiting_user", 60);
        assertThat(c.call("POST", "/api/v1/auth-sessions/" + cancelled + "/cancel", null, ControllerFixture.OPERATOR,
            Map.of()).status()).isEqualTo(200);
        b = new Browser(Files.createDirectories(dir.resolve("chromium-profile")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (c != null) {
            c.close();
        }
    }

    private static String create(String user) throws Exception {
        return c.create("fake-loopback", user).getString("id");
    }

    /** A loopback session driven through the API: the callback {@code query} is relayed, then {@code status}. */
    private static String loopback(String user, String query, String status) throws Exception {
        String id = create(user);
        String authUrl = c.awaitStatus(id, "awaiting_user", 60).getString("authUrl");
        ControllerFixture.Response r = c.call("POST", "/api/v1/auth-sessions/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, query)).encode(), ControllerFixture.API_KEY,
            Map.of()); // the product's backend relays it: the operator token may not act as the user
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        c.awaitStatus(id, status, 60);
        return id;
    }

    private static void signIn() {
        b.size(Browser.DESKTOP);
        b.open(c.url("/operators.html"));
        b.js("sessionStorage.clear();");
        b.driver.navigate().refresh();
        b.visible("#op-token", 20).sendKeys(ControllerFixture.OPERATOR);
        b.find("#token-form button[type='submit']").click();
        b.visible("#sessions tbody tr[data-id]", 20);
    }

    private static List<String> rowIds() {
        @SuppressWarnings("unchecked")
        List<String> ids = (List<String>) b.js("return Array.from(document.querySelectorAll("
            + "'#sessions tbody tr[data-id]'), r => r.dataset.id);");
        return ids;
    }

    private static String count(String status) {
        return b.textOf("#counts button[data-status='" + status + "'] .n");
    }

    @Test
    void refusesAWrongTokenAndSaysSo() throws Exception {
        b.size(Browser.DESKTOP);
        b.open(c.url("/operators.html"));
        b.js("sessionStorage.clear();");
        b.driver.navigate().refresh();
        assertThat(b.find("label[for='op-token']").getText()).isEqualTo("Operator token");
        assertThat(b.find("#op-token").getAttribute("type")).isEqualTo("password");
        b.find("#op-token").sendKeys("not-the-token");
        b.find("#token-form button[type='submit']").click();
        assertThat(b.visible("#token-error", 20).getText()).contains("not accepted");
        assertThat(b.js("return sessionStorage.getItem('loginrelay.operatorToken');")).isNull();
        assertCentred("#login");
        b.shot("operators-0-sign-in");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).isTrue();
        assertCentred("#login");
        b.shot("operators-0-sign-in-phone");
        b.size(Browser.DESKTOP);
    }

    /** The element's middle is the page's middle (within 2 px), not its left edge. */
    private static void assertCentred(String css) {
        double gap = ((Number) b.js("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
            + " return Math.abs((r.left + r.right) / 2 - document.documentElement.clientWidth / 2);", css))
            .doubleValue();
        assertThat(gap).as(css + " is centred").isLessThanOrEqualTo(2);
    }

    /** "2026-05-01 12:00:03 UTC" or "… UTC+02:00": a date, a 24-hour time and the zone. */
    private static final String TIME = "\\d{4}-\\d{2}-\\d{2} ([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d UTC([+-]\\d{2}:\\d{2})?";

    @Test
    void listsSessionsWithCountsAndFiltersByStatusAndTime() throws Exception {
        signIn();
        b.until(d -> rowIds().containsAll(List.of(ready, failed, cancelled)), 20, "the three sessions");
        assertThat(count("")).isEqualTo("3");
        assertThat(count("ready")).isEqualTo("1");
        assertThat(count("failed")).isEqualTo("1");
        assertThat(count("cancelled")).isEqualTo("1");
        assertThat(count("awaiting_user")).isEqualTo("0");
        assertThat(b.textOf("#sessions tbody tr[data-id='" + failed + "']")).contains("op-bob")
            .contains("fake-loopback").contains("Failed")
            .contains("ACCESS_DENIED").contains("local-");
        assertThat(b.textOf("#sessions tbody tr[data-id='" + failed + "'] td[data-label='Created']"))
            .matches(TIME);
        assertThat(b.textOf("#list-updated")).matches("Updated ([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d UTC.*");
        b.shot("operators-1-list");
        b.size(Browser.PHONE);
        b.shot("operators-1-list-phone");
        b.size(Browser.DESKTOP);

        new Select(b.find("#f-status")).selectByValue("ready");
        b.until(d -> rowIds().equals(List.of(ready)), 20, "only the ready session");
        assertThat(b.attrOf("#counts button[data-status='ready']", "aria-pressed")).isEqualTo("true");
        b.find("#counts button[data-status='cancelled']").click();
        b.until(d -> rowIds().equals(List.of(cancelled)), 20, "only the cancelled session");
        b.shot("operators-2-filtered");
        b.find("#counts button[data-status='']").click();
        b.until(d -> rowIds().size() == 3, 20, "all sessions again");

        new Select(b.find("#f-range")).selectByValue("custom");
        b.js("document.getElementById('f-since').value = '2099-01-01T00:00:00';");
        b.find("#filters button[type='submit']").click();
        b.text("#sessions tbody", "No sessions match", 20);
        assertThat(count("")).isEqualTo("0");
        new Select(b.find("#f-range")).selectByValue("3600");
        b.until(d -> rowIds().size() == 3, 20, "the last hour's sessions");
    }

    @Test
    void listRefreshesByItself() throws Exception {
        signIn();
        String fresh = create("op-dave");
        // New sessions have no stream yet: the list looks for them every 15 s (and when the tab comes back).
        b.until(d -> rowIds().contains(fresh), 40, "the new session without a reload");
        c.awaitStatus(fresh, "awaiting_user", 60);
        c.call("POST", "/api/v1/auth-sessions/" + fresh + "/cancel", null, ControllerFixture.OPERATOR, Map.of());
        // A listed active session is followed over its event stream: its change shows well within the 15 s.
        b.until(d -> "cancelled".equals(b.attrOf("#sessions tbody tr[data-id='" + fresh + "']", "data-status")), 8,
            "its new status without a reload");
    }

    @Test
    void sessionPageFollowsTheSessionOverItsEventStream() throws Exception {
        String id = create("op-erin");
        String authUrl = c.awaitStatus(id, "awaiting_user", 60).getString("authUrl");
        signIn();
        b.js("window.__gets = 0; const f = window.fetch; window.fetch = (u, o) => {"
            + " if (!String(u).endsWith('/events')) window.__gets++; return f(u, o); };");
        b.js("location.hash = arguments[0];", id);
        b.text("#summary", "Waiting for the user", 20);
        assertThat(b.textOf("#detail-updated")).startsWith("Live · updated ");
        assertThat(b.textOf("#summary")).containsPattern(TIME);
        assertThat(b.fitsWidth()).as("nothing to scroll sideways on a desktop").isTrue();
        b.shot("operators-4-session-live");
        long before = ((Number) b.js("return window.__gets;")).longValue();

        ControllerFixture.Response r = c.call("POST", "/api/v1/auth-sessions/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, "code=ok&state={state}")).encode(),
            ControllerFixture.API_KEY, Map.of()); // the product relays it; the operator token may not act as the user
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        b.text("#summary", "Ready", 30);
        b.visible("#timeline tbody tr[data-kind='agent.callback_relayed']", 10);
        b.text("#detail-updated", "Finished", 10);
        assertThat(((Number) b.js("return window.__gets;")).longValue()).as("loads follow the stream's changes")
            .isGreaterThan(before);
        b.shot("operators-5-session-ready");
        b.size(Browser.PHONE);
        b.shotViewport("operators-5-session-ready-phone");
        b.size(Browser.DESKTOP);
    }

    @Test
    void sessionPageShowsTheRowWhereItRanWhyItFailedAndTheTimeline() throws Exception {
        signIn();
        b.find("#sessions tbody tr[data-id='" + failed + "'] a").click();
        b.visible("#summary", 20);
        b.visible("#timeline tbody tr[data-kind='agent.failed']", 20);

        JsonObject op = c.operatorGet("/api/v1/auth-sessions/" + failed);
        assertThat(b.textOf("#summary")).contains(failed).contains("op-bob").contains("fake-loopback")
            .contains(op.getString("agentId")).contains("127.0.0.1");
        assertThat(b.textOf("#detail-failure"))
            .contains("The sign-in was declined or cancelled on the sign-in page.")
            .contains("Sign-in failed: User denied").contains("ACCESS_DENIED");
        @SuppressWarnings("unchecked")
        List<String> kinds = (List<String>) b.js("return Array.from(document.querySelectorAll("
            + "'#timeline tbody tr'), r => r.dataset.kind);");
        // The CLI answers the callback and exits at once: the relay's record and its exit are not ordered.
        assertThat(kinds).containsSubsequence("created", "status", "agent.auth_url_ready", "agent.callback_received",
            "agent.failed", "status");
        assertThat(kinds).contains("agent.callback_relayed");
        int events = c.operatorGet("/api/v1/auth-sessions/" + failed + "/timeline").getJsonArray("events").size();
        b.until(d -> b.all("#timeline tbody tr").size() == events, 20, "the whole timeline (" + events + " events)");
        assertThat(b.textOf("#timeline")).doesNotContain(ControllerFixture.OPERATOR);
        b.shot("operators-3-session");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).as("the summary fits; wide tables scroll inside their box").isTrue();
        b.js("window.scrollTo(0, 0);");
        b.shotViewport("operators-3-session-phone-top");
        b.js("document.getElementById('timeline-h').scrollIntoView();");
        b.shotViewport("operators-3-session-phone-timeline");
        b.size(Browser.DESKTOP);

        b.find("#back").click();
        b.visible("#sessions tbody tr[data-id]", 20);
    }
}

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operators' credentials page in headless Chromium: reached from the sessions page and from a session's page, it
 * lists what custody holds (user, provider, account, state, refresh owner, when) and one record's events, and shows
 * no secret: the fake CLI writes a planted access token into its credential file, which must appear nowhere on the
 * page. Logins run through the API with real agents and the fake loopback CLI; one is revoked by the product's
 * backend (API key).
 */
@Timeout(240)
class CredentialsPageBrowserTest {
    private static final String PLANT = "planted-access-token-" + Long.toHexString(System.nanoTime());
    @TempDir
    static Path dir;
    static ControllerFixture c;
    static Browser b;
    static String held;
    static String revoked;

    @BeforeAll
    static void start() throws Exception {
        c = ControllerFixture.forPages(dir).spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()
            .put("FAKECLI_PLANT", PLANT)), "Codex (fake CLI)").start();
        held = login("cr-ada");
        revoked = login("cr-bob");
        awaitCustody("cr-ada");
        awaitCustody("cr-bob");
        ControllerFixture.Response r = c.call("DELETE", "/api/v1/credentials/cr-bob/fake-loopback", null,
            ControllerFixture.API_KEY, Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
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

    /** A loopback login driven to ready through the API (the product's backend relays the callback). */
    private static String login(String user) throws Exception {
        String id = c.create("fake-loopback", user).getString("id");
        String authUrl = c.awaitStatus(id, "awaiting_user", 60).getString("authUrl");
        ControllerFixture.Response r = c.call("POST", "/api/v1/auth-sessions/" + id + "/callback",
            new JsonObject().put("url", FakeBrowser.callbackFor(authUrl, "code=ok&state={state}")).encode(),
            ControllerFixture.API_KEY, Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        c.awaitStatus(id, "ready", 60);
        return id;
    }

    /** Capture follows ready asynchronously: waits for the record. */
    private static void awaitCustody(String user) throws Exception {
        String path = "/api/v1/credentials/" + user + "/fake-loopback/status";
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (c.call("GET", path, null, ControllerFixture.OPERATOR, Map.of()).status() != 200) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no custody record for " + user);
            }
            Thread.sleep(100);
        }
    }

    private static void signInOnSessionsPage() {
        b.size(Browser.DESKTOP);
        b.open(c.url("/operators.html"));
        b.js("sessionStorage.clear();");
        b.driver.navigate().refresh();
        b.visible("#op-token", 20).sendKeys(ControllerFixture.OPERATOR);
        b.find("#token-form button[type='submit']").click();
        b.visible("#sessions tbody tr[data-id]", 20);
    }

    private static String row(String user) {
        return "#credentials tbody tr[data-user='" + user + "']";
    }

    private static void assertNoSecretOnPage() {
        String html = (String) b.js("return document.documentElement.outerHTML;");
        assertThat(html).as("the planted token").doesNotContain(PLANT);
    }

    @Test
    void listsCustodyFromTheSessionsPageWithStateRefreshOwnerAndTimes() throws Exception {
        signInOnSessionsPage();
        b.find("#to-credentials").click();
        b.visible(row("cr-ada"), 20);
        b.visible(row("cr-bob"), 20);
        assertThat(b.attrOf(row("cr-ada"), "data-state")).isEqualTo("held");
        assertThat(b.attrOf(row("cr-bob"), "data-state")).isEqualTo("revoked");
        assertThat(b.textOf(row("cr-ada"))).contains("fake-loopback").contains("Held in custody")
            .contains("nobody (held in custody)");
        assertThat(b.textOf(row("cr-ada") + " td[data-label='Created']")).matches(TIME);
        assertThat(b.textOf(row("cr-ada") + " td[data-label='Revoked']")).isEqualTo("—");
        assertThat(b.textOf(row("cr-bob") + " td[data-label='Revoked']")).matches(TIME);
        assertThat(b.textOf(row("cr-bob") + " td[data-label='State']")).isEqualTo("Revoked");
        assertThat(b.textOf(row("cr-ada") + " td[data-label='Login']")).isEqualTo(held.substring(0, 8));
        assertThat(b.attrOf(row("cr-ada") + " td[data-label='Login'] a", "title")).isEqualTo(held);
        assertThat(b.textOf("#credentials-caption")).startsWith("2 records");
        assertThat(b.fitsWidth()).as("wide tables scroll inside their box").isTrue();
        assertNoSecretOnPage();
        b.shot("credentials-1-list");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).isTrue();
        b.shot("credentials-1-list-phone");
        b.size(Browser.DESKTOP);

        // Its login's link goes back to that session's page.
        b.find(row("cr-ada") + " td[data-label='Login'] a").click();
        b.text("#summary", held, 20);
    }

    @Test
    void showsOneRecordWithItsEventsFromTheSessionPage() throws Exception {
        signInOnSessionsPage();
        b.js("location.hash = arguments[0];", revoked);
        b.text("#summary", "Ready", 20);
        b.find("#credentials-link").click();
        b.text("#detail-h", "Credentials of cr-bob for fake-loopback", 20);
        b.text("#summary", "Revoked", 20);
        b.visible("#events tbody tr[data-kind='revoked']", 20);
        @SuppressWarnings("unchecked")
        List<String> kinds = (List<String>) b.js("return Array.from(document.querySelectorAll("
            + "'#events tbody tr'), r => r.dataset.kind);");
        assertThat(kinds).containsSubsequence("captured", "revoked");
        assertThat(b.textOf("#events tbody tr[data-kind='captured']")).as("the paths, not the contents")
            .contains(".fakecli/auth.json");
        assertThat(b.textOf("#summary")).contains("cr-bob").contains(revoked);
        assertNoSecretOnPage();
        b.shot("credentials-2-record");

        b.find("#back").click();
        b.visible(row("cr-ada"), 20);
    }

    @Test
    void asksForTheTokenAndRefusesAWrongOne() {
        b.size(Browser.DESKTOP);
        b.open(c.url("/credentials.html"));
        b.js("sessionStorage.clear();");
        b.driver.navigate().refresh();
        b.visible("#op-token", 20).sendKeys("not-the-token");
        b.find("#token-form button[type='submit']").click();
        assertThat(b.visible("#token-error", 20).getText()).contains("not accepted");
        assertThat(b.find("#list").isDisplayed()).isFalse();
        b.find("#op-token").sendKeys(ControllerFixture.OPERATOR);
        b.find("#token-form button[type='submit']").click();
        b.visible(row("cr-ada"), 20);
    }

    /** "2026-05-01 12:00:03 UTC" or "… UTC+02:00": a date, a 24-hour time and the zone. */
    private static final String TIME =
        "\\d{4}-\\d{2}-\\d{2} ([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d UTC([+-]\\d{2}:\\d{2})?";
}

package dev.loginrelay.controller.ui;

import dev.loginrelay.agent.testing.fakes.FakeBrowser;
import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import dev.loginrelay.controller.testing.ControllerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Connect page in headless Chromium against a real controller, real agent processes and the fake CLIs: each flow
 * as a user clicks and types it, with screenshots of each step (desktop and a 390 px phone) under target/screenshots.
 */
@Timeout(240)
class ConnectPageBrowserTest {
    @TempDir
    static Path dir;
    static ControllerFixture c;
    static Browser b;
    static Path approve;
    static Path gateBlocker;
    static Path gatePage;

    @BeforeAll
    static void start() throws Exception {
        approve = dir.resolve("approve");
        gateBlocker = dir.resolve("gate-blocker");
        gatePage = dir.resolve("gate-page");
        c = ControllerFixture.forPages(dir)
            .spec(FakeCliSpecs.loopback("fake-loopback", new JsonObject()), "Codex (fake CLI)")
            .spec(ControllerFixture.gated("fake-slow-blocker", gateBlocker), "Slow Codex A (fake CLI)")
            .spec(ControllerFixture.gated("fake-slow", gatePage), "Slow Codex (fake CLI)")
            .spec(FakeCliSpecs.paste("fake-claude-work", new JsonObject()), null)
            .spec(FakeCliSpecs.paste("fake-claude", new JsonObject()), "Claude Code (fake CLI)")
            .spec(FakeCliSpecs.gemini("fake-gemini", new JsonObject()), "Gemini CLI (fake)")
            .spec(FakeCliSpecs.device("fake-device",
                new JsonObject().put("FAKECLI_APPROVE_FILE", approve.toString())), "Codex device code (fake CLI)");
        c.env.put("LOGINRELAY_MAX_STARTING", "1"); // one login starts at a time: the others wait in line
        c.start();
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

    /** Opens the page as a new demo user (so the one-active-session rule never links tests) on a desktop window. */
    private static void openAs(String user) {
        b.size(Browser.DESKTOP);
        b.open(c.url("/"));
        b.js("localStorage.setItem('loginrelay.demoUser', arguments[0]); sessionStorage.clear();", user);
        b.driver.navigate().refresh();
        b.visible("button.connect[data-provider='fake-loopback']", 20);
    }

    private static String startLoopback(String user) {
        openAs(user);
        b.find("button[data-provider='fake-loopback']").click();
        return b.visible("#open-link", 60).getAttribute("href");
    }

    private static void type(String css, String text) {
        WebElement input = b.find(css);
        input.clear();
        input.sendKeys(text);
        input.submit();
    }

    /** Counts the page's own requests to /callback or /code from now on. */
    private static void spyOnFetch() {
        b.js("window.__sent = []; const f = window.fetch; window.fetch = (u, o) => { window.__sent.push(String(u));"
            + " return f(u, o); };");
    }

    private static String sent() {
        return String.valueOf(b.js("return JSON.stringify(window.__sent);"));
    }

    @Test
    void loopbackFlowShowsTheLinkTakesTheCallbackAndReachesReady() throws Exception {
        String authUrl = startLoopback("demo-loopback");
        assertThat(authUrl).startsWith("https://auth.example.test/oauth/authorize?");
        assertThat(b.find("#open-link").getAttribute("target")).isEqualTo("_blank");
        assertThat(b.find("#session").getText()).contains("cannot load").contains("Time left:");
        assertThat(b.find("label[for='callback-input']").getText()).contains("address");
        // The hint names the address as the CLI's own redirect_uri spells it (codex and its fake: 127.0.0.1).
        URI redirect = URI.create(ControllerFixture.param(authUrl, "redirect_uri"));
        assertThat(redirect.getHost()).isEqualTo("127.0.0.1");
        assertThat(b.find("#callback-hint").getText())
            .isEqualTo("It starts with http://127.0.0.1:" + redirect.getPort() + "/auth/callback?…");
        b.shot("connect-1-loopback-waiting");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).as("no sideways scrolling at 390 px").isTrue();
        b.shot("connect-1-loopback-waiting-phone");
        b.size(Browser.DESKTOP);

        type("#callback-input", FakeBrowser.callbackFor(authUrl, "code=ok&state={state}"));

        b.text("#account-email", "fake.user@example.com", 60);
        assertThat(b.find("#status").getText()).isEqualTo("Connected");
        assertThat(b.find("#step").getText()).contains("plan: plus");
        assertThat(b.find("#cancel").isDisplayed()).isFalse();
        b.shot("connect-2-ready");
        b.size(Browser.PHONE);
        b.shot("connect-2-ready-phone");
    }

    @Test
    void refusesAWrongCallbackAddressWithoutSendingIt() throws Exception {
        String authUrl = startLoopback("demo-invalid");
        String port = String.valueOf(java.net.URI.create(ControllerFixture.param(authUrl, "redirect_uri")).getPort());
        spyOnFetch();

        type("#callback-input", "http://localhost:1/auth/callback?code=x&state=y");
        assertThat(b.visible("#callback-error", 5).getText())
            .contains("expects http://127.0.0.1:" + port + "/auth/callback");
        assertThat(b.find("#callback-input").getAttribute("aria-invalid")).isEqualTo("true");
        type("#callback-input", FakeBrowser.callbackFor(authUrl, "code=x&state=someone-else"));
        assertThat(b.visible("#callback-error", 5).getText()).contains("different sign-in");
        type("#callback-input", authUrl);
        assertThat(b.visible("#callback-error", 5).getText()).contains("sign-in link itself");
        type("#callback-input", FakeBrowser.callbackFor(authUrl, "state={state}"));
        assertThat(b.visible("#callback-error", 5).getText()).contains("no code=");
        type("#callback-input", "localhost callback please");
        assertThat(b.visible("#callback-error", 5).getText()).contains("not a web address");
        b.shot("connect-3-invalid-callback");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).as("long messages wrap at 390 px").isTrue();
        b.shot("connect-3-invalid-callback-phone");
        b.size(Browser.DESKTOP);

        assertThat(sent()).as("the page sent nothing").isEqualTo("[]");
        String id = (String) b.js("return JSON.parse(sessionStorage.getItem('loginrelay.session')).id;");
        assertThat(c.operatorGet("/api/v1/auth-sessions/" + id).getString("status")).isEqualTo("awaiting_user");
        assertThat(c.operatorGet("/api/v1/auth-sessions/" + id + "/timeline").encode())
            .doesNotContain("callback_received");

        b.find("#cancel").click();
        b.text("#status", "Sign-in cancelled", 30);
        assertCancelledByTheUser();
    }

    /** A user's own Cancel: a neutral end with "Start again", not the failure panel with an error code. */
    private static void assertCancelledByTheUser() {
        assertThat(b.visible("#cancelled-reason", 10).getText()).startsWith("You cancelled the sign-in.");
        assertThat(b.find("#start-again").isDisplayed()).isTrue();
        assertThat(b.all(".result.bad")).isEmpty();
        assertThat(b.find("#step").getText()).doesNotContain("Error code").doesNotContain("What happened");
    }

    @Test
    void failureShowsThePlainReasonTheCliMessageAndTryAgain() throws Exception {
        String authUrl = startLoopback("demo-failure");

        type("#callback-input",
            FakeBrowser.callbackFor(authUrl, "error=access_denied&error_description=User%20denied&state={state}"));

        b.text("#status", "Sign-in failed", 60);
        assertThat(b.find("#failure-reason").getText())
            .isEqualTo("The sign-in was declined or cancelled on the sign-in page.");
        assertThat(b.find("#failure-message").getText()).contains("Sign-in failed: User denied");
        assertThat(b.find("#step").getText()).contains("What the CLI said:").contains("Error code: ACCESS_DENIED");
        b.shot("connect-4-failed");
        b.size(Browser.PHONE);
        b.shot("connect-4-failed-phone");
        b.size(Browser.DESKTOP);

        b.find("#try-again").click();
        String again = b.visible("#open-link", 60).getAttribute("href");
        assertThat(again).as("a new session with a new link").isNotEqualTo(authUrl);
        b.find("#cancel").click();
        b.text("#status", "Sign-in cancelled", 30);
        assertCancelledByTheUser();
    }

    @Test
    void deviceFlowShowsTheCodeLargeWithACopyButtonThenReady() throws Exception {
        openAs("demo-device");
        b.find("button[data-provider='fake-device']").click();

        WebElement code = b.visible("#user-code", 60);
        assertThat(code.getText()).isEqualTo("ABCD-12345");
        assertThat(Double.parseDouble(code.getCssValue("font-size").replace("px", "")))
            .as("the code is large").isGreaterThanOrEqualTo(32);
        assertThat(b.find("#open-link").getAttribute("href")).isEqualTo("https://auth.example.test/codex/device");
        b.find("#copy-code").click();
        b.until(d -> !b.find("#copy-note").getText().isEmpty(), 5, "a copy note");
        b.shot("connect-5-device-code");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).isTrue();
        b.shot("connect-5-device-code-phone");
        b.size(Browser.DESKTOP);

        Path tmp = dir.resolve("approve.tmp");
        Files.writeString(tmp, "approve");
        Files.move(tmp, approve, StandardCopyOption.ATOMIC_MOVE);
        b.text("#status", "Connected", 60);
        b.text("#account-email", "fake.user@example.com", 5);
    }

    @Test
    void pasteCodeFlowChecksTheCodeThenReachesReady() throws Exception {
        openAs("demo-paste");
        b.find("button[data-provider='fake-claude']").click();
        String authUrl = b.visible("#open-link", 60).getAttribute("href");
        b.visible("#code-input", 5);
        spyOnFetch();

        type("#code-input", "good-code");
        assertThat(b.visible("#code-error", 5).getText()).contains("including the #");
        type("#code-input", "good code#x");
        assertThat(b.visible("#code-error", 5).getText()).contains("spaces");
        type("#code-input", "good-code#not-this-state");
        assertThat(b.visible("#code-error", 5).getText()).contains("different sign-in");
        b.shot("connect-6-paste-code-invalid");
        assertThat(sent()).isEqualTo("[]");

        type("#code-input", "good-code#" + FakeBrowser.stateOf(authUrl));
        b.text("#status", "Connected", 60);
    }

    @Test
    void geminiFlowOffersTheNewLinkAfterARefusedCode() throws Exception {
        openAs("demo-gemini");
        b.find("button[data-provider='fake-gemini']").click();
        String first = b.visible("#open-link", 60).getAttribute("href");

        type("#code-input", "wrong-code");
        b.text(".notice", "That code was not accepted", 60);
        String second = b.find("#open-link").getAttribute("href");
        assertThat(second).isNotEqualTo(first);
        b.shot("connect-7-gemini-new-link");

        type("#code-input", "good-code");
        b.text("#status", "Connected", 60);
    }

    @Test
    void unavailableProviderIsDisabledWithItsReason() throws Exception {
        openAs("demo-qwen");
        WebElement qwen = b.find("button[data-provider='qwen']");
        assertThat(qwen.isEnabled()).isFalse();
        assertThat(qwen.getAttribute("aria-describedby")).isEqualTo("reason-qwen");
        assertThat(b.find("#reason-qwen").getText()).startsWith("Not available:").contains("no OAuth login");
        assertThat(b.find("button[data-provider='fake-loopback']").getText()).isEqualTo("Connect Codex (fake CLI)");
        // A spec that extends claude without a displayName of its own inherits "Claude Code": the name tells them apart.
        assertThat(b.find("button[data-provider='fake-claude-work']").getText())
            .isEqualTo("Connect Claude Code (fake-claude-work)");
        assertThat(b.find("button[data-provider='claude']").getText()).isEqualTo("Connect Claude Code (claude)");
        List<String> labels = b.all("button.connect").stream().map(WebElement::getText).toList();
        assertThat(labels).as("one label per provider").doesNotHaveDuplicates();
        b.shot("connect-0-choose");
        b.size(Browser.PHONE);
        assertThat(b.fitsWidth()).isTrue();
        b.shot("connect-0-choose-phone");
    }

    @Test
    void keyboardAloneConnectsWithAVisibleFocus() throws Exception {
        openAs("demo-keyboard");
        b.js("document.activeElement.blur();");
        for (int i = 0; i < 30 && !"fake-loopback".equals(b.focused()); i++) {
            b.keys(Keys.TAB);
        }
        assertThat(b.focused()).as("Tab reaches the Connect button").isEqualTo("fake-loopback");
        WebElement button = b.find("button[data-provider='fake-loopback']");
        assertThat(button.getCssValue("outline-style")).as("focus is visible").isEqualTo("solid");
        assertThat(button.getCssValue("outline-width")).isEqualTo("3px");
        b.shot("connect-8-keyboard-focus");

        b.keys(Keys.ENTER);
        String authUrl = b.visible("#open-link", 60).getAttribute("href");
        b.until(d -> "open-link".equals(b.focused()), 5, "the focus on the sign-in link");
        for (int i = 0; i < 10 && !"callback-input".equals(b.focused()); i++) {
            b.keys(Keys.TAB);
        }
        assertThat(b.focused()).isEqualTo("callback-input");
        b.keys(FakeBrowser.callbackFor(authUrl, "code=ok&state={state}"), Keys.ENTER);
        b.text("#status", "Connected", 60);
        assertThat(b.js("return document.activeElement.className;")).as("the result gets the focus")
            .isEqualTo("result-h");
    }

    @Test
    void followsASessionTheProductHandsOverInTheFragment() throws Exception {
        JsonObject s = c.create("fake-claude", "product-user-7");
        b.size(Browser.DESKTOP);
        b.open("about:blank");
        b.open(c.url("/#session=" + s.getString("id") + "&token=" + s.getString("sessionToken")));

        b.visible("#code-input", 60);
        assertThat(b.find("#session-h").getText()).isEqualTo("Claude Code (fake CLI)");
        assertThat(b.js("return location.hash;")).as("the token leaves the address bar").isEqualTo("");
        b.find("#cancel").click();
        b.text("#status", "Sign-in cancelled", 30);
        assertCancelledByTheUser();
        assertThat(c.operatorGet("/api/v1/auth-sessions/" + s.getString("id")).getString("status"))
            .isEqualTo("cancelled");
    }

    @Test
    void showsItsPlaceInLineThenTheCliStartingThenANeutralCancel() throws Exception {
        // One login starts at a time here: a blocker holds the slot (its CLI waits for a gate), another waits first.
        String blocker = c.create("fake-slow-blocker", "queue-blocker").getString("id");
        String other = null;
        try {
            c.awaitStatus(blocker, "starting", 60);
            other = c.create("fake-loopback", "queue-other").getString("id");
            openAs("demo-queue");
            b.find("button[data-provider='fake-slow']").click();

            b.text("#queue-place", "You are number 2 in line", 30);
            assertThat(b.textOf("#queue-place")).matches("You are number 2 in line(, about \\d+ s)?\\.");
            assertThat(b.attrOf("#progress li[aria-current='step']", "data-step")).isEqualTo("0");
            assertThat(b.textOf("#progress")).contains("Waiting for your turn")
                .contains("Starting the sign-in on your workspace").contains("The CLI is starting");
            assertThat(b.textOf("#step")).doesNotContain("This takes a few seconds");
            String first = b.text("#elapsed", "s since the start", 5).getText();
            b.until(d -> !first.equals(b.textOf("#elapsed")), 5, "the elapsed seconds to count");
            assertThat(b.textOf("#status")).isEqualTo("Waiting to start…");
            b.shot("connect-9-queue");
            b.size(Browser.PHONE);
            assertThat(b.fitsWidth()).isTrue();
            b.shot("connect-9-queue-phone");
            b.size(Browser.DESKTOP);

            ControllerFixture.open(gateBlocker); // the blocker shows its link: the other starts, then this one
            b.until(d -> "2".equals(b.attrOf("#progress li[aria-current='step']", "data-step")), 60,
                "the step 'The CLI is starting'");
            assertThat(b.all("#queue-place")).isEmpty();
            assertThat(b.textOf("#progress li[data-step='0']")).contains("(done)");
            assertThat(b.textOf("#progress li[data-step='2']")).contains("The CLI is starting");
            b.shot("connect-10-cli-starting");
            b.size(Browser.PHONE);
            b.shot("connect-10-cli-starting-phone");
            b.size(Browser.DESKTOP);

            ControllerFixture.open(gatePage);
            b.visible("#open-link", 60);
            b.find("#cancel").click();
            b.text("#status", "Sign-in cancelled", 30);
            assertCancelledByTheUser();
            b.shot("connect-11-cancelled");
            b.size(Browser.PHONE);
            b.shot("connect-11-cancelled-phone");
            b.size(Browser.DESKTOP);

            b.find("#start-again").click();
            b.visible("#open-link", 60);
            b.find("#cancel").click();
            b.text("#status", "Sign-in cancelled", 30);
        } finally {
            ControllerFixture.open(gateBlocker);
            ControllerFixture.open(gatePage);
            for (String id : new String[] {blocker, other}) {
                if (id != null) {
                    c.call("POST", "/api/v1/auth-sessions/" + id + "/cancel", null, ControllerFixture.OPERATOR,
                        Map.of());
                }
            }
        }
    }

    @Test
    void anOperatorsCancelIsNeutralAndSaysWhoCancelled() throws Exception {
        JsonObject s = c.create("fake-claude", "product-user-8");
        b.size(Browser.DESKTOP);
        b.open("about:blank");
        b.open(c.url("/#session=" + s.getString("id") + "&token=" + s.getString("sessionToken")));
        b.visible("#code-input", 60);
        assertThat(c.call("POST", "/api/v1/auth-sessions/" + s.getString("id") + "/cancel", null,
            ControllerFixture.OPERATOR, Map.of()).status()).isEqualTo(200);
        assertThat(b.text("#cancelled-reason", "administrator", 30).getText())
            .isEqualTo("An administrator cancelled this sign-in.");
        assertThat(b.all(".result.bad")).isEmpty();
    }

    @Test
    void servesAFavicon() throws Exception {
        assertThat(c.call("GET", "/favicon.ico", null, null, Map.of()).status()).isEqualTo(200);
        openAs("demo-favicon");
        String href = (String) b.js("return document.querySelector('link[rel=icon]').href;");
        assertThat(href).endsWith("/favicon.svg");
        ControllerFixture.Response svg = c.call("GET", "/favicon.svg", null, null, Map.of());
        assertThat(svg.status()).isEqualTo(200);
        assertThat(svg.body()).startsWith("<svg");
    }

    @Test
    void demoUserIsKeptInTheBrowser() {
        openAs("demo-kept");
        assertThat(b.find("#demo-user").getText()).isEqualTo("demo-kept");
        JsonArray providers = new JsonArray();
        b.all("button.connect").forEach(e -> providers.add(e.getAttribute("data-provider")));
        assertThat(providers.getList()).contains("fake-loopback", "fake-claude", "fake-gemini", "fake-device", "qwen");
    }
}

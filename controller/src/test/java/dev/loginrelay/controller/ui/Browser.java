package dev.loginrelay.controller.ui;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Headless Debian Chromium driven through Debian's chromedriver. Both paths are given explicitly, so Selenium Manager
 * never looks for (or downloads) a browser or a driver; a fresh profile per instance; no background networking.
 * Screenshots go to {@code controller/target/screenshots/<name>.png}, the whole page tall. Viewport sizes and
 * full-page captures use chromedriver's CDP pass-through (no DevTools artifacts needed).
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(System.getProperty("loginrelay.chromium", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("loginrelay.chromedriver", "/usr/bin/chromedriver"));
    static final Path SHOTS = Path.of(System.getProperty("basedir", ".")).resolve("target/screenshots");
    static final Dimension DESKTOP = new Dimension(1280, 900);
    /** A narrow phone (iPhone 12–15 class) viewport. */
    static final Dimension PHONE = new Dimension(390, 844);

    final ChromeDriver driver;
    private final ChromeDriverService service;

    Browser(Path profile) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            throw new IllegalStateException(CHROMIUM + " or " + DRIVER + " is missing: run "
                + "scripts/install-test-deps.sh (Debian packages chromium and chromium-driver)");
        }
        System.setProperty("webdriver.chrome.driver", DRIVER.toString());
        service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort()
            .withLogOutput(java.io.OutputStream.nullOutputStream()).build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--lang=en-US", "--user-data-dir=" + profile.toAbsolutePath(),
            "--window-size=" + DESKTOP.getWidth() + "," + DESKTOP.getHeight());
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    }

    void open(String url) {
        driver.get(url);
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** Waits (up to {@code seconds}) for a visible element. */
    WebElement visible(String css, int seconds) {
        return until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        }, seconds, "a visible " + css);
    }

    /** Waits (up to {@code seconds}) until the element's text contains {@code text}. */
    WebElement text(String css, String text, int seconds) {
        return until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.get(0).getText().contains(text) ? null : found.get(0);
        }, seconds, css + " containing '" + text + "'");
    }

    /** The text of the first element matching {@code css}, read in one step (no stale reference mid-refresh). */
    String textOf(String css) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css);
    }

    /** An attribute of the first element matching {@code css}, read in one step. */
    String attrOf(String css, String name) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1])"
            + " : null;", css, name);
    }

    <T> T until(ExpectedCondition<T> condition, int seconds, String what) {
        // The pages re-render rows and steps as they refresh: an element read mid-refresh is simply read again.
        return new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(100))
            .ignoring(StaleElementReferenceException.class)
            .withMessage(() -> "waited " + seconds + " s for " + what + "; page text:\n"
                + driver.findElement(By.tagName("body")).getText())
            .until(condition);
    }

    /** Presses keys on whatever has the focus, as a keyboard-only user does. */
    void keys(CharSequence... keys) {
        new Actions(driver).sendKeys(keys).perform();
    }

    /** The focused element's id or data-provider, for keyboard tests. */
    String focused() {
        return (String) js("const a = document.activeElement; return a.id || a.dataset.provider || a.tagName;");
    }

    /** Emulates a viewport of this size (a phone one below 600 px wide: mobile, touch-sized layout). */
    void size(Dimension d) {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", d.getWidth(),
            "height", d.getHeight(), "deviceScaleFactor", 1, "mobile", d.getWidth() < 600));
    }

    /** True when the page is no wider than the viewport (nothing to scroll sideways). */
    boolean fitsWidth() {
        return (Boolean) js("return document.documentElement.scrollWidth <= window.innerWidth;");
    }

    /** Saves a screenshot of the whole page (not only the viewport) at the current width. */
    Path shot(String name) throws IOException {
        Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
        Map<?, ?> content = (Map<?, ?>) metrics.get("cssContentSize");
        Map<?, ?> viewport = (Map<?, ?>) metrics.get("cssLayoutViewport");
        double width = ((Number) viewport.get("clientWidth")).doubleValue();
        double height = Math.min(6000, Math.max(((Number) content.get("height")).doubleValue(),
            ((Number) viewport.get("clientHeight")).doubleValue()));
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
            "captureBeyondViewport", true,
            "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        Files.createDirectories(SHOTS);
        Path out = SHOTS.resolve(name + ".png");
        Files.write(out, Base64.getDecoder().decode((String) shot.get("data")));
        return out;
    }

    /** Saves a screenshot of what the viewport shows now (the top of a long page, as a phone user first sees it). */
    Path shotViewport(String name) throws IOException {
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png"));
        Files.createDirectories(SHOTS);
        Path out = SHOTS.resolve(name + ".png");
        Files.write(out, Base64.getDecoder().decode((String) shot.get("data")));
        return out;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }
}

package dev.loginrelay.controller.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loginrelay.agent.testing.fakes.FakeGitHubApi;
import dev.loginrelay.agent.testing.net.FakeInternet;
import dev.loginrelay.controller.testing.ControllerFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A user clicks "Connect GitHub Copilot CLI" on the Connect page: the real pinned {@code copilot} runs its device
 * login under the agent (HTTPS through the test's intercepting proxy to the fake GitHub), the page shows GitHub's
 * device page and the code, and once the fake GitHub approves (as it does after the user entered the code) the page
 * says connected with the account.
 */
@Timeout(300)
class RealCopilotConnectPageTest {
    @TempDir
    Path dir;

    @Test
    void theConnectPageDrivesTheRealCopilotLoginToTheDeviceCodeAndToConnected() throws Exception {
        assertThat(ControllerFixture.REPO.resolve(".clis/node_modules/.bin/copilot")).as("run scripts/install-clis.sh")
            .isExecutable();
        try (FakeInternet net = FakeInternet.start(dir.resolve("net"));
             ControllerFixture c = ControllerFixture.forPages(dir)
                 .spec(net.copilotOverlay("copilot-mitm"), "GitHub Copilot CLI (test proxy)");
             Browser b = new Browser(Files.createDirectories(dir.resolve("chromium-profile")))) {
            FakeGitHubApi github = net.idp().github().approveAfterPolls(Integer.MAX_VALUE).login("mona-page");
            c.env.put("LOGINRELAY_UI_DEMO", "true");
            c.start();
            b.size(Browser.DESKTOP);
            b.open(c.url("/"));
            b.js("localStorage.setItem('loginrelay.demoUser', arguments[0]); sessionStorage.clear();", "demo-copilot");
            b.driver.navigate().refresh();
            b.visible("button.connect[data-provider='copilot-mitm']", 60).click();

            assertThat(b.visible("#user-code", 200).getText()).isEqualTo(github.userCode());
            assertThat(b.find("#open-link").getAttribute("href")).isEqualTo("https://github.com/login/device");
            b.shot("connect-copilot-device-code");

            github.approveAfterPolls(github.polls()); // the user entered the code on GitHub's page
            b.text("#status", "Connected", 120);
            b.shot("connect-copilot-connected");
        }
    }
}

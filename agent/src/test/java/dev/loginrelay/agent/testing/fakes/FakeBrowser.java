package dev.loginrelay.agent.testing.fakes;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** What the user's browser does in the tests: where it lands after an auth URL, and the auth URL's OAuth state. */
public final class FakeBrowser {
    private FakeBrowser() {
    }

    /**
     * The loopback callback URL the browser would land on for {@code authUrl}: its {@code redirect_uri} with
     * {@code localhost} as the host and {@code query}, in which {@code {state}} becomes the auth URL's state.
     */
    public static String callbackFor(String authUrl, String query) {
        URI redirect = URI.create(URLDecoder.decode(raw(authUrl, "redirect_uri"), StandardCharsets.UTF_8));
        return "http://localhost:" + redirect.getPort() + redirect.getPath() + "?"
            + query.replace("{state}", stateOf(authUrl));
    }

    /** The auth URL's {@code state}, as it appears in the URL. */
    public static String stateOf(String authUrl) {
        return raw(authUrl, "state");
    }

    private static String raw(String url, String name) {
        for (String p : URI.create(url).getRawQuery().split("&")) {
            if (p.startsWith(name + "=")) {
                return p.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + " in " + url);
    }
}

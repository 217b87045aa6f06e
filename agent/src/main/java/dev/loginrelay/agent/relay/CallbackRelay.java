package dev.loginrelay.agent.relay;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Replays the OAuth callback the user's browser was sent to onto the CLI's loopback listener inside the VM.
 * Only to the loopback host, port and path of the {@code redirect_uri} this session's CLI printed, and only with that
 * URL's {@code state}: a stray request can kill a login (Claude fails on a wrong state, Gemini on any other path).
 * When the CLI answers with a redirect to one of the spec's local paths (codex's 302 to {@code /success}, whose
 * Location carries the id_token), the relay follows it here, inside the VM; nothing of it goes back to the browser.
 */
public final class CallbackRelay {
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final HttpClient client;

    public CallbackRelay(Vertx vertx) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(5000));
    }

    /** Where a callback may go: the loopback redirect_uri of the printed auth URL, and the state it must carry. */
    public record Target(String host, int port, String path, String state) {
        public Target {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(state, "state");
        }

        @Override
        public String toString() {
            return "Target[" + host + ":" + port + path + ", state=<masked>]";
        }
    }

    /** What the CLI answered; the redirect's Location is deliberately not part of it. */
    public record Result(int cliStatus, String followedPath, Integer followedStatus, String cliMessage) {
    }

    /** The target encoded in an auth URL, or an exception when its redirect_uri is not a loopback http URL. */
    public static Target targetOf(String authUrl) {
        QueryParams q = QueryParams.of(URI.create(authUrl).getRawQuery());
        String redirect = q.first("redirect_uri");
        String state = q.first("state");
        if (redirect == null || state == null) {
            throw new IllegalArgumentException("auth URL has no redirect_uri or state");
        }
        URI r = URI.create(redirect);
        if (!"http".equals(r.getScheme()) || !LOOPBACK_NAMES.contains(r.getHost()) || r.getPort() < 1) {
            throw new IllegalArgumentException("redirect_uri is not a loopback http URL with a port");
        }
        String host = r.getHost().equals("localhost") ? "127.0.0.1" : r.getHost().replace("[", "").replace("]", "");
        return new Target(host, r.getPort(), r.getRawPath(), state);
    }

    /** The {@code state} parameter of an auth URL, or null. */
    public static String stateOf(String authUrl) {
        try {
            return QueryParams.of(URI.create(authUrl).getRawQuery()).first("state");
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Checks a pasted callback URL against the target and returns the path and query to replay. Throws
     * {@link ApiException} naming what is wrong; nothing is sent in that case.
     */
    public static String check(Target target, String pasted) {
        String trimmed = pasted.strip();
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c <= 0x20 || c >= 0x7f) { // a browser's address is percent-encoded ASCII; anything else is forged
                throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback holds a character a browser's address "
                    + "never has (U+" + String.format("%04X", (int) c) + " at index " + i + ")");
            }
        }
        URI u;
        try {
            u = new URI(pasted.strip());
        } catch (URISyntaxException e) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback is not a valid URL: " + e.getReason());
        }
        String expected = "http://localhost:" + target.port() + target.path();
        if (!"http".equals(u.getScheme()) || u.getHost() == null || !LOOPBACK_NAMES.contains(u.getHost())) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK,
                "the callback must be the " + expected + "?... address your browser was sent to");
        }
        if (u.getRawUserInfo() != null) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback must not carry a user name or password "
                + "before the host (user@host): send the " + expected + "?... address as the browser shows it");
        }
        if (u.getRawFragment() != null) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback must not carry a #fragment");
        }
        if (u.getPort() != target.port() || !target.path().equals(u.getRawPath())) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback goes to port " + u.getPort()
                + " path " + u.getRawPath() + ", but this login listens on " + expected);
        }
        QueryParams q = QueryParams.of(u.getRawQuery());
        for (String once : List.of("state", "code", "error")) {
            if (q.count(once) > 1) {
                throw new ApiException(once.equals("state") ? ErrorCode.STATE_MISMATCH : ErrorCode.INVALID_CALLBACK,
                    "the callback repeats the " + once + " parameter; a real one carries it once");
            }
        }
        String state = q.first("state");
        if (state == null) {
            throw new ApiException(ErrorCode.STATE_MISMATCH, "the callback has no state parameter");
        }
        if (!java.security.MessageDigest.isEqual(state.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                target.state().getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            throw new ApiException(ErrorCode.STATE_MISMATCH,
                "the callback's state does not match this login's auth URL (is it from another sign-in attempt?)");
        }
        if (q.first("code") == null && q.first("error") == null) {
            throw new ApiException(ErrorCode.INVALID_CALLBACK, "the callback has neither a code nor an error");
        }
        return u.getRawPath() + "?" + u.getRawQuery();
    }

    /** Secret values a checked callback carries (the code), so the run can redact them verbatim. */
    public static List<String> secretsOf(String pathAndQuery) {
        QueryParams q = QueryParams.of(URI.create(pathAndQuery).getRawQuery());
        List<String> out = new ArrayList<>();
        for (String k : List.of("code", "state")) {
            String v = q.first(k);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    /** Sends the GET to the CLI and follows a redirect to one of {@code followPaths} on the same listener. */
    public Future<Result> relay(Target target, String pathAndQuery, List<String> followPaths, long timeoutMs) {
        return get(target, pathAndQuery, timeoutMs).compose(first -> {
            String location = first.getHeader("Location");
            String follow = localFollowPath(target, location, followPaths);
            if (first.statusCode() / 100 != 3 || follow == null) {
                return Future.succeededFuture(new Result(first.statusCode(), null, null, words(first)));
            }
            URI loc = URI.create(location);
            String uri = loc.getRawPath() + (loc.getRawQuery() == null ? "" : "?" + loc.getRawQuery());
            return get(target, uri, timeoutMs)
                .map(second -> new Result(first.statusCode(), follow, second.statusCode(), words(second)));
        });
    }

    private static String localFollowPath(Target target, String location, List<String> followPaths) {
        if (location == null) {
            return null;
        }
        try {
            URI loc = URI.create(location);
            boolean sameListener = loc.getHost() == null
                || (LOOPBACK_NAMES.contains(loc.getHost()) && loc.getPort() == target.port());
            return sameListener && followPaths.contains(loc.getRawPath()) ? loc.getRawPath() : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A response of the CLI's listener with its body (kept only for an error's words). */
    private record Answer(HttpClientResponse resp, String body) {
        int statusCode() {
            return resp.statusCode();
        }

        String getHeader(String name) {
            return resp.getHeader(name);
        }
    }

    private Future<Answer> get(Target target, String uri, long timeoutMs) {
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET).setHost(target.host())
            .setPort(target.port()).setURI(uri).setIdleTimeout(timeoutMs).setFollowRedirects(false);
        return client.request(opts).compose(req -> req.send())
            .compose(resp -> resp.body().map(b -> new Answer(resp, resp.statusCode() >= 400
                ? b.toString(java.nio.charset.StandardCharsets.UTF_8) : "")));
    }

    /** The CLI's own words from an error page: tags and control characters out, at most 300 characters. */
    private static String words(Answer a) {
        return words(a.resp().statusCode(), a.body());
    }

    static String words(int status, String body) {
        if (status < 400 || body == null) {
            return "";
        }
        String t = body.replaceAll("(?s)<(script|style)[^>]*>.*?</\\1>", " ").replaceAll("<[^>]*>", " ")
            .replaceAll("\\p{Cntrl}", " ").replaceAll("\\s+", " ").strip();
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }

    public Future<Void> close() {
        return client.close();
    }
}

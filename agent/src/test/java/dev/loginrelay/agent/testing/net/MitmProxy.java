package dev.loginrelay.agent.testing.net;

import dev.loginrelay.agent.testing.fakes.FakeIdentityProvider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An intercepting HTTP(S) proxy for tests, on 127.0.0.1 only. The CLIs reach it through {@code HTTPS_PROXY}:
 * a {@code CONNECT host:443} is answered {@code 200}, then TLS is terminated on the same socket with the
 * {@link TestCa} leaf (one certificate for every provider host, so SNI needs no choice) and the HTTP/1.1 requests
 * inside go to the in-process {@link Handler} (normally a {@link FakeIdentityProvider}); plain
 * {@code GET http://host/...} requests go there too. Nothing is forwarded anywhere else, so nothing leaves the machine:
 * with a proxy set, the CLIs never resolve a provider host themselves.
 *
 * <p>Every CONNECT and every request is logged ({@link #connects()}, {@link #exchanges()}); a TLS handshake a client
 * aborts (a host outside the leaf, a CLI without the CA) shows up as a CONNECT with no exchange.
 */
public final class MitmProxy implements AutoCloseable {
    private static final int IDLE_MS = 60_000;

    /** Answers one intercepted request. Runs on the connection's own thread, so it may block (a slow endpoint). */
    @FunctionalInterface
    public interface Handler {
        Reply handle(Exchange request) throws IOException;
    }

    /** One request as the CLI sent it: the host it went to, method, path with query, headers (lower-case), body. */
    public record Exchange(String host, boolean tls, String method, String target, Map<String, String> headers,
                           String body) {
        public Exchange {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        /** The path without the query. */
        public String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public String toString() {
            return method + " " + (tls ? "https://" : "http://") + host + path();
        }
    }

    /** What the handler answers; a JSON body gets {@code Content-Type: application/json}. */
    public record Reply(int status, Map<String, String> headers, byte[] body) {
        public Reply {
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        public static Reply json(int status, String json) {
            return new Reply(status, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final ServerSocket server;
    private final SSLContext tls;
    private final Handler handler;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mitm-proxy-conn");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<String> connects = new CopyOnWriteArrayList<>();
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private MitmProxy(ServerSocket server, SSLContext tls, Handler handler) {
        this.server = server;
        this.tls = tls;
        this.handler = handler;
    }

    /** Starts a proxy on 127.0.0.1 and a free port, terminating TLS with {@code ca}'s leaf. */
    public static MitmProxy start(TestCa ca, Handler handler) {
        try {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            MitmProxy proxy = new MitmProxy(s, ca.serverContext(), Objects.requireNonNull(handler, "handler"));
            Thread accept = new Thread(proxy::acceptLoop, "mitm-proxy-accept");
            accept.setDaemon(true);
            accept.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("the test proxy could not bind 127.0.0.1", e);
        }
    }

    /** The value for {@code HTTPS_PROXY}, e.g. {@code http://127.0.0.1:40123}. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Every {@code CONNECT} target so far ({@code host:port}), oldest first. */
    public List<String> connects() {
        return List.copyOf(connects);
    }

    /** Every request handled so far, oldest first. */
    public List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(MitmProxy::closeQuietly);
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                open.add(s);
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("mitm proxy: accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(IDLE_MS);
            InputStream in = socket.getInputStream();
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            HttpWire.Head head = HttpWire.readHead(in);
            if (head == null) {
                return;
            }
            if ("CONNECT".equals(head.method())) {
                tunnel(socket, head.target(), out);
            } else {
                plain(head, in, out);
            }
        } catch (SocketException | java.net.SocketTimeoutException | java.io.EOFException
                 | javax.net.ssl.SSLException e) {
            // the client went away, idled out, or gave up on the handshake (a host it does not trust): nothing to say
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                System.err.println("mitm proxy: connection failed: " + e);
            }
        } finally {
            open.remove(socket);
        }
    }

    private void tunnel(Socket socket, String authority, OutputStream out) throws IOException {
        connects.add(authority);
        out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int port = colon < 0 ? 443 : Integer.parseInt(authority.substring(colon + 1));
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
        open.add(ssl);
        try (ssl) {
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            InputStream in = new BufferedInputStream(ssl.getInputStream());
            OutputStream sslOut = new BufferedOutputStream(ssl.getOutputStream());
            boolean again = true;
            while (again) {
                HttpWire.Head head = HttpWire.readHead(in);
                if (head == null) {
                    return;
                }
                again = answer(host, true, head, in, sslOut);
            }
        } finally {
            open.remove(ssl);
        }
    }

    private void plain(HttpWire.Head head, InputStream in, OutputStream out) throws IOException {
        URI uri = URI.create(head.target());
        String host = uri.getHost() != null ? uri.getHost() : String.valueOf(head.header("host"));
        String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            target += "?" + uri.getRawQuery();
        }
        answer(host, false, new HttpWire.Head(head.method(), target, head.version(), head.headers()), in, out);
    }

    /** Reads the body, asks the handler, writes the reply; true when the connection stays open for another. */
    private boolean answer(String host, boolean secure, HttpWire.Head head, InputStream in, OutputStream out)
            throws IOException {
        byte[] body = HttpWire.readBody(head, in, out);
        Exchange x = new Exchange(host, secure, head.method(), head.target(), head.headers(),
            new String(body, StandardCharsets.UTF_8));
        exchanges.add(x);
        Reply reply;
        try {
            reply = handler.handle(x);
        } catch (IOException | RuntimeException e) {
            reply = Reply.json(500, "{\"error\":\"test_handler_failed\"}");
            System.err.println("mitm proxy: handler failed for " + x + ": " + e);
        }
        boolean keepAlive = secure && head.keepAlive();
        HttpWire.writeResponse(out, reply.status(), reply.headers(), reply.body(), keepAlive);
        return keepAlive;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}

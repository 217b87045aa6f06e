package dev.loginrelay.agent.testing.net;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Just enough HTTP/1.1 for {@link MitmProxy}: a request head and body (Content-Length or chunked) in, a response with
 * a Content-Length out. No compression, no pipelining; {@code Expect: 100-continue} is answered.
 */
final class HttpWire {
    private static final int MAX_HEAD = 64 * 1024;
    private static final int MAX_BODY = 16 * 1024 * 1024;

    private HttpWire() {
    }

    /** A parsed request; header names lower-case. {@code target} is what the request line names (path and query). */
    record Head(String method, String target, String version, Map<String, String> headers) {
        Head {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            headers = Map.copyOf(headers);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        boolean keepAlive() {
            String c = header("connection");
            if (c == null) {
                c = header("proxy-connection");
            }
            return c == null ? !"HTTP/1.0".equals(version) : c.equalsIgnoreCase("keep-alive");
        }
    }

    /**
     * Reads a request head one byte at a time, so nothing after it is consumed (after a CONNECT the TLS handshake
     * follows on the same stream). Returns null at a clean end of stream before any byte.
     */
    static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (buf.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a request head");
            }
            buf.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                ? matched + 1 : (b == '\r' ? 1 : 0);
            if (buf.size() > MAX_HEAD) {
                throw new IOException("request head larger than " + MAX_HEAD + " bytes");
            }
        }
        String[] lines = buf.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] first = lines[0].split(" ", 3);
        if (first.length < 3) {
            throw new IOException("malformed request line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    lines[i].substring(colon + 1).trim());
            }
        }
        return new Head(first[0], first[1], first[2], headers);
    }

    /** Reads the body the head announces; answers {@code 100 Continue} first when the client asks for it. */
    static byte[] readBody(Head head, InputStream in, OutputStream out) throws IOException {
        if ("100-continue".equalsIgnoreCase(head.header("expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
            return readChunked(in);
        }
        String length = head.header("content-length");
        if (length == null) {
            return new byte[0];
        }
        int n = Integer.parseInt(length.trim());
        if (n < 0 || n > MAX_BODY) {
            throw new IOException("request body of " + n + " bytes refused");
        }
        return in.readNBytes(n);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers: ignored
                }
                return body.toByteArray();
            }
            if (body.size() + size > MAX_BODY) {
                throw new IOException("chunked request body larger than " + MAX_BODY + " bytes");
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        if (b < 0) {
            throw new EOFException("connection closed inside a chunked body");
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    static void writeResponse(OutputStream out, int status, Map<String, String> headers, byte[] body,
                              boolean keepAlive) throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
            .append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n")
            .append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    static String reason(int status) {
        switch (status) {
            case 200: return "OK";
            case 204: return "No Content";
            case 302: return "Found";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 429: return "Too Many Requests";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            default: return "Status " + status;
        }
    }
}

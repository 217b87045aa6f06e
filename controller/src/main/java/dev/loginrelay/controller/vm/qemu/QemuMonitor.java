package dev.loginrelay.controller.vm.qemu;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A blocking client of a qemu QMP monitor or QEMU guest agent socket (one JSON object per line), every read bounded
 * by a deadline. Not thread-safe; one per call sequence, on a worker thread. Async events are skipped.
 */
final class QemuMonitor implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final String socketName;

    private QemuMonitor(Path socket) throws IOException {
        this.socketName = socket.getFileName().toString();
        this.channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** Connects to a QMP monitor and leaves the greeting / capabilities negotiation behind. */
    static QemuMonitor qmp(Path socket, Duration timeout) throws IOException {
        QemuMonitor m = new QemuMonitor(socket);
        try {
            m.readMessage(deadline(timeout));
            m.execute(new JsonObject().put("execute", "qmp_capabilities"), timeout);
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Connects to the guest agent and synchronises: the 0xFF resets its parser (and is answered with a parse error),
     * and answers left over from an earlier client are skipped until the one to our {@code guest-sync-delimited}.
     */
    static QemuMonitor guestAgent(Path socket, Duration timeout) throws IOException {
        QemuMonitor m = new QemuMonitor(socket);
        try {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            m.write(new byte[] {(byte) 0xff});
            m.write((new JsonObject().put("execute", "guest-sync-delimited")
                .put("arguments", new JsonObject().put("id", id)).encode() + "\n").getBytes(StandardCharsets.UTF_8));
            long end = deadline(timeout);
            while (!Long.valueOf(id).equals(asLong(m.readMessage(end).getValue("return")))) {
                // stale or error answer
            }
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Sends one command and returns its {@code return} value; an {@code error} answer is an IOException. */
    Object execute(JsonObject command, Duration timeout) throws IOException {
        write((command.encode() + "\n").getBytes(StandardCharsets.UTF_8));
        JsonObject answer = readMessage(deadline(timeout));
        if (answer.containsKey("error")) {
            JsonObject err = answer.getJsonObject("error");
            throw new IOException(socketName + ": " + command.getString("execute") + " failed: "
                + err.getString("class") + ": " + err.getString("desc"));
        }
        return answer.getValue("return");
    }

    JsonObject executeObject(String command, JsonObject arguments, Duration timeout) throws IOException {
        JsonObject c = new JsonObject().put("execute", command);
        if (arguments != null) {
            c.put("arguments", arguments);
        }
        Object r = execute(c, timeout);
        return r instanceof JsonObject o ? o : new JsonObject();
    }

    private void write(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next complete non-event message; bytes before a 0xFF delimiter are dropped. */
    private JsonObject readMessage(long deadlineNanos) throws IOException {
        while (true) {
            String line = nextLine(deadlineNanos);
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonObject msg = new JsonObject(line);
                if (!msg.containsKey("event")) {
                    return msg;
                }
            } catch (DecodeException e) {
                // a partial line after a parser reset: skip it
            }
        }
    }

    private String nextLine(long deadlineNanos) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (true) {
            byte[] have = pending.toByteArray();
            for (int i = 0; i < have.length; i++) {
                if (have[i] == '\n') {
                    int start = 0;
                    for (int k = 0; k < i; k++) {
                        if (have[k] == (byte) 0xff) {
                            start = k + 1;
                        }
                    }
                    pending.reset();
                    pending.write(have, i + 1, have.length - i - 1);
                    return new String(have, start, i - start, StandardCharsets.UTF_8).strip();
                }
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new IOException(socketName + ": no answer within the deadline");
            }
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
            buf.clear();
            int n = channel.read(buf);
            if (n < 0) {
                throw new IOException(socketName + ": closed by qemu");
            }
            pending.write(buf.array(), 0, n);
        }
    }

    private static Long asLong(Object o) {
        return o instanceof Number n ? n.longValue() : null;
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}

package dev.loginrelay.controller.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A simulated pod's address: {@code host:port} on a loopback address of its own, forwarded to an agent listening
 * elsewhere on this host. {@link #cut} drops the address and every connection through it at once, as a lost node
 * does, so the controller sees the pod vanish rather than its agent shutting down in order.
 */
final class PodNetwork {
    private final NetServer server;
    private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();

    private final NetClient client;

    private PodNetwork(NetServer server, NetClient client) {
        this.server = server;
        this.client = client;
    }

    static PodNetwork open(Vertx vertx, String host, int port, int agentPort) throws Exception {
        NetServer server = vertx.createNetServer();
        PodNetwork net = new PodNetwork(server, vertx.createNetClient());
        server.connectHandler(in -> {
            in.pause();
            net.open.add(in);
            net.client.connect(agentPort, "127.0.0.1").onSuccess(out -> {
                net.open.add(out);
                in.handler(out::write);
                out.handler(in::write);
                in.closeHandler(v -> out.close());
                out.closeHandler(v -> in.close());
                in.resume();
            }).onFailure(e -> in.close());
        });
        server.listen(port, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return net;
    }

    void cut() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        open.forEach(NetSocket::close);
        client.close();
        open.clear();
    }
}

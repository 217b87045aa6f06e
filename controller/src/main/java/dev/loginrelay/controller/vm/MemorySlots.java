package dev.loginrelay.controller.vm;

import io.vertx.core.Future;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** {@link AgentSlots} in this process's memory: only its own hand-outs count. */
final class MemorySlots implements AgentSlots {
    private final Map<UUID, String> holders = new HashMap<>();

    @Override
    public synchronized Future<Boolean> claim(String agentId, int capacity, UUID sessionId) {
        String held = holders.get(sessionId);
        if (held != null) {
            return Future.succeededFuture(held.equals(agentId));
        }
        if (count(agentId) >= capacity) {
            return Future.succeededFuture(false);
        }
        holders.put(sessionId, agentId);
        return Future.succeededFuture(true);
    }

    @Override
    public synchronized Future<Void> adopt(String agentId, UUID sessionId) {
        holders.putIfAbsent(sessionId, agentId);
        return Future.succeededFuture();
    }

    @Override
    public synchronized Future<Void> release(UUID sessionId) {
        holders.remove(sessionId);
        return Future.succeededFuture();
    }

    @Override
    public Future<Map<String, Integer>> held() {
        return Future.succeededFuture(known());
    }

    @Override
    public synchronized Map<String, Integer> known() {
        Map<String, Integer> counts = new HashMap<>();
        holders.values().forEach(a -> counts.merge(a, 1, Integer::sum));
        return Map.copyOf(counts);
    }

    @Override
    public Future<Integer> sweep() {
        return Future.succeededFuture(0);
    }

    @Override
    public boolean shared() {
        return false;
    }

    private int count(String agentId) {
        int n = 0;
        for (String a : holders.values()) {
            n += a.equals(agentId) ? 1 : 0;
        }
        return n;
    }
}

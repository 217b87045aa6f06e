package dev.loginrelay.controller.vm;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One shared in-flight or successful result of an expensive call (the providers' self-check): concurrent callers
 * share it, a failure is not kept (the next caller tries again), a success is kept for {@code ttl}.
 */
public final class CachedFuture<T> {
    private final Supplier<Future<T>> source;
    private final long ttlNanos;
    private final AtomicReference<Entry<T>> current = new AtomicReference<>();

    private record Entry<T>(Future<T> future, long bornNanos) {
    }

    public CachedFuture(Duration ttl, Supplier<Future<T>> source) {
        this.ttlNanos = ttl.toNanos();
        this.source = source;
    }

    public Future<T> get() {
        Entry<T> e = current.get();
        if (e != null && !e.future().failed()
            && (!e.future().isComplete() || System.nanoTime() - e.bornNanos() < ttlNanos)) {
            return e.future();
        }
        Promise<T> promise = Promise.promise();
        Entry<T> fresh = new Entry<>(promise.future(), System.nanoTime());
        if (!current.compareAndSet(e, fresh)) {
            return get();
        }
        promise.future().onFailure(err -> current.compareAndSet(fresh, null));
        try {
            source.get().onComplete(promise);
        } catch (RuntimeException err) {
            promise.tryFail(err);
        }
        return promise.future();
    }
}

package dev.loginrelay.agent.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The one way the tests of both modules wait for a condition: probe, and probe again every {@code every} until it holds
 * or the deadline passes, then fail naming what was awaited and the last value seen. Never sleep-and-hope.
 */
public final class Poll {
    private static final Duration EVERY = Duration.ofMillis(50);

    /** A probe that may throw (an HTTP call, a file read). */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    private Poll() {
    }

    /** The first value of {@code probe} that {@code done} accepts; AssertionError after {@code within}. */
    public static <T> T until(Duration within, String what, Probe<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        T last = null;
        while (true) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + within.toMillis() + " ms; last seen: " + last);
            }
            Thread.sleep(EVERY.toMillis());
        }
    }

    /** Waits until {@code condition} holds; AssertionError after {@code within}. */
    public static void until(Duration within, String what, Probe<Boolean> condition) throws Exception {
        until(within, what, condition, Boolean::booleanValue);
    }

    /** Whether {@code condition} came to hold within {@code within} (for callers that assert on it themselves). */
    public static boolean eventually(Duration within, Probe<Boolean> condition) throws Exception {
        try {
            until(within, "condition", condition);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }
}

package dev.loginrelay.agent.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A logback list appender a test may read while other threads still log (event loops, agents' watchers): the plain
 * {@link ListAppender}'s ArrayList threw ConcurrentModificationException when a leak check iterated it mid-append.
 */
public final class CapturedLogs extends ListAppender<ILoggingEvent> {
    public CapturedLogs() {
        list = new CopyOnWriteArrayList<>();
    }
}

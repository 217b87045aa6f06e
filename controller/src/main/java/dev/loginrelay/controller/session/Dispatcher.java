package dev.loginrelay.controller.session;

import dev.loginrelay.controller.model.AuthSession;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What the session rules need from the part that puts sessions on agents ({@code dispatch/} implements it): start a
 * login, hand the user's step to it, stop it, and pick up open sessions after a restart. Status moves it observes go
 * back through {@link SessionMoves}.
 */
public interface Dispatcher extends AutoCloseable {
    /** Gets an agent for a new ({@code pending}) session, starts the CLI's login there and follows it. */
    void dispatch(AuthSession s);

    /**
     * How long a session waiting at {@code position} (1 = next) may wait before its login starts, when this
     * dispatcher queues sessions beyond its capacity.
     */
    default java.util.Optional<java.time.Duration> waitEstimate(int position) {
        return java.util.Optional.empty();
    }

    /** Relays the callback URL the user's browser was sent to. */
    Future<JsonObject> callback(AuthSession s, String url);

    /** Types the code the user pasted into the CLI. */
    Future<JsonObject> code(AuthSession s, String code);

    /** The session ended here (cancelled, timed out): stop its run on the agent and give the agent back. */
    void stopRun(AuthSession s);

    /** After a restart: follow, re-dispatch or fail each open session, as its agent is found or not. */
    Future<Void> reconcile(List<AuthSession> open);

    @Override
    void close();
}

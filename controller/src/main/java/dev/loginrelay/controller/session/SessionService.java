package dev.loginrelay.controller.session;

import dev.loginrelay.controller.model.AuthSession;
import dev.loginrelay.controller.model.Caller;
import dev.loginrelay.controller.model.SessionEvent;
import dev.loginrelay.controller.model.SessionState;
import dev.loginrelay.controller.model.TokenHash;
import dev.loginrelay.controller.error.ApiException;
import dev.loginrelay.controller.error.ErrorCode;
import dev.loginrelay.controller.model.QueuePlace;
import dev.loginrelay.controller.store.NewSession;
import dev.loginrelay.controller.store.PendingQueue;
import dev.loginrelay.controller.model.FailureCode;
import dev.loginrelay.controller.model.SessionChange;
import dev.loginrelay.controller.store.SessionEventStore;
import dev.loginrelay.controller.store.SessionStore;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The rules of auth sessions: who may create, read and act on which; one active session per user and provider;
 * idempotent creation; every move a compare-and-set in the store. Handlers call this; it calls the store and the
 * dispatcher.
 */
public final class SessionService {
    private final SessionStore store;
    private final SessionEventStore events;
    private final Dispatcher dispatch;
    private final SessionMoves moves;
    private final ProviderDirectory providers;
    private final Function<String, Duration> ttl;
    private final PendingQueue pending;
    private final int maxPending;

    public SessionService(SessionStore store, SessionEventStore events, SessionMoves moves, Dispatcher dispatch,
                          ProviderDirectory providers, Function<String, Duration> ttl, PendingQueue pending,
                          int maxPending) {
        this.store = store;
        this.events = events;
        this.dispatch = dispatch;
        this.moves = moves;
        this.providers = providers;
        this.ttl = ttl;
        this.pending = pending;
        this.maxPending = maxPending;
    }

    /** A created (or replayed) session and the token its browser uses; the token is shown this once. */
    public record Created(AuthSession session, String sessionToken, boolean created) {
        @Override
        public String toString() {
            return "Created[session=" + session.sessionId() + ", sessionToken=<masked>, created=" + created + "]";
        }
    }

    public Future<Created> create(String owner, String provider, String idempotencyKey) {
        providers.requireAvailable(provider);
        String token = SecretFiles.randomToken();
        TokenHash hash = TokenHash.of(token);
        Future<java.util.Optional<AuthSession>> replay = idempotencyKey == null
            ? Future.succeededFuture(java.util.Optional.empty())
            : store.findByIdempotencyKey(owner, idempotencyKey);
        return replay.compose(found -> {
            if (found.isPresent()) {
                AuthSession s = found.get();
                if (!s.provider().equals(provider)) {
                    throw new ApiException(ErrorCode.CONFLICT, "Idempotency-Key was used for a " + s.provider()
                        + " session of this user, not " + provider);
                }
                return store.rotateToken(s.sessionId(), hash).map(r -> new Created(r, token, false));
            }
            return store.findActive(owner, provider).compose(active -> {
                if (active.isPresent()) {
                    throw activeConflict(active.get());
                }
                return pending.waiting();
            }).compose(waiting -> {
                if (waiting >= maxPending) {
                    throw new ApiException(ErrorCode.TOO_MANY_PENDING, waiting + " sessions already wait to start"
                        + " (LOGINRELAY_MAX_PENDING=" + maxPending + "); retry in a few seconds");
                }
                return store.insert(new NewSession(owner, provider, hash, idempotencyKey, ttl.apply(provider)))
                    .map(s -> {
                        dispatch.dispatch(s);
                        return new Created(s, token, true);
                    });
            });
        });
    }

    private static ApiException activeConflict(AuthSession a) {
        return new ApiException(ErrorCode.SESSION_ACTIVE, "user already has an active " + a.provider()
            + " session " + a.sessionId() + " (" + a.status().wireName() + "); finish or cancel it first");
    }

    /** The session, if the caller may see it; 404 otherwise (no hint that it exists). */
    public Future<AuthSession> get(UUID id, Caller caller) {
        if (!caller.mayAct(id)) {
            return Future.failedFuture(notFound(id));
        }
        return store.findById(id).map(o -> o.orElseThrow(() -> notFound(id)));
    }

    /** The session a session token belongs to. */
    public Future<UUID> sessionOfToken(String token) {
        return store.findByTokenHash(TokenHash.of(token)).map(o -> o.map(AuthSession::sessionId)
            .orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED, "unknown or expired session token")));
    }

    public Future<JsonObject> callback(UUID id, Caller caller, String url) {
        return get(id, caller).compose(s -> requireAwaiting(s, "callback_url"))
            .compose(s -> dispatch.callback(s, url));
    }

    public Future<JsonObject> code(UUID id, Caller caller, String code) {
        return get(id, caller).compose(s -> requireAwaiting(s, "code")).compose(s -> dispatch.code(s, code));
    }

    private static Future<AuthSession> requireAwaiting(AuthSession s, String expects) {
        if (s.status() != SessionState.AWAITING_USER || !s.userStep().expects().wireName().equals(expects)) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session " + s.sessionId()
                + " is " + s.status().wireName() + " and expects " + (s.status() == SessionState.AWAITING_USER
                ? s.userStep().expects().wireName() : "nothing from the user") + ", not a " + expects));
        }
        return Future.succeededFuture(s);
    }

    /**
     * Ends the session as cancelled. A move the agent reports at the same moment (starting → awaiting_user) can win
     * the compare-and-set: then the session is read again and the cancel tried from its new status, a few times.
     */
    public Future<AuthSession> cancel(UUID id, Caller caller) {
        return get(id, caller).compose(s -> cancelFrom(s, caller, 3));
    }

    private Future<AuthSession> cancelFrom(AuthSession s, Caller caller, int triesLeft) {
        UUID id = s.sessionId();
        if (s.status().isTerminal()) {
            return Future.failedFuture(new ApiException(ErrorCode.ILLEGAL_TRANSITION, "session " + id
                + " already ended as " + s.status().wireName()));
        }
        String by = caller.kind().name().toLowerCase(java.util.Locale.ROOT);
        return moves.move(id, s.status(), SessionState.CANCELLED, SessionChange.none()
                .withError(FailureCode.CANCELLED.name(), "cancelled by the " + by.replace('_', ' '))
                .withDetail(new JsonObject().put("by", by)))
            .onSuccess(dispatch::stopRun)
            .recover(err -> triesLeft > 1 && SessionMoves.isLostRace(err)
                ? store.findById(id).compose(o -> o.isEmpty() ? Future.failedFuture(err)
                    : cancelFrom(o.get(), caller, triesLeft - 1))
                : Future.failedFuture(err));
    }

    /** Where a pending session waits (position 1 starts next, with an estimate), or empty when it does not wait. */
    public Future<java.util.Optional<QueuePlace>> queuePlace(AuthSession s) {
        if (s.status() != SessionState.PENDING || s.agentId() != null) {
            return Future.succeededFuture(java.util.Optional.empty());
        }
        return pending.ahead(s.createdAt(), s.sessionId()).map(n -> {
            int position = (int) Math.min(Integer.MAX_VALUE, n + 1);
            return java.util.Optional.of(new QueuePlace(position, dispatch.waitEstimate(position).orElse(null)));
        });
    }

    /** The session as stored now, whoever asks (for a stream that already checked its caller). */
    public Future<java.util.Optional<AuthSession>> find(UUID id) {
        return store.findById(id);
    }

    /**
     * Calls {@code onChange} whenever session {@code id} may have changed, on any replica (PostgreSQL NOTIFY through
     * the event bus); close the answer to stop.
     */
    public AutoCloseable onChange(io.vertx.core.Vertx vertx, UUID id, Runnable onChange) {
        String key = id.toString();
        io.vertx.core.eventbus.MessageConsumer<String> c = vertx.eventBus().<String>consumer(
            dev.loginrelay.controller.store.ChangeListener.ADDRESS, m -> {
                if (key.equals(m.body())) {
                    onChange.run();
                }
            });
        return c::unregister;
    }

    /** Every session not yet terminal (for recovery after a restart). */
    public Future<List<AuthSession>> open() {
        List<SessionState> open = java.util.Arrays.stream(SessionState.values()).filter(st -> !st.isTerminal())
            .toList();
        return Future.all(open.stream().map(st -> store.list(st, null, SessionStore.MAX_PAGE)).toList())
            .map(all -> all.<List<AuthSession>>list().stream().flatMap(List::stream).toList());
    }

    /** Newest first, filtered by each of status, provider and creation time range that is not null. */
    public Future<List<AuthSession>> list(SessionState status, String provider, Instant since, Instant until,
                                          int limit) {
        return store.list(status, provider, since, until, limit);
    }

    /** Session counts by status, filtered like {@link #list} (all statuses present, zero where none). */
    public Future<Map<SessionState, Long>> countByStatus(String provider, Instant since, Instant until) {
        return store.countByStatus(provider, since, until).map(found -> {
            Map<SessionState, Long> all = new EnumMap<>(SessionState.class);
            for (SessionState st : SessionState.values()) {
                all.put(st, found.getOrDefault(st, 0L));
            }
            return all;
        });
    }

    public Future<List<SessionEvent>> timeline(UUID id, long after) {
        return store.findById(id).compose(o -> {
            if (o.isEmpty()) {
                throw notFound(id);
            }
            return events.timeline(id, after);
        });
    }

    private static ApiException notFound(UUID id) {
        return new ApiException(ErrorCode.SESSION_NOT_FOUND, "no session " + id);
    }
}

package dev.loginrelay.agent.e2e;

import dev.loginrelay.agent.testing.fakes.FakeCliSpecs;
import io.vertx.core.json.JsonObject;

/** Shorthands for {@link FakeCliSpecs} in this package's tests. */
final class FakeSpecs {
    private FakeSpecs() {
    }

    static JsonObject loopback(String name, JsonObject env) {
        return FakeCliSpecs.loopback(name, env);
    }

    static JsonObject paste(String name, JsonObject env) {
        return FakeCliSpecs.paste(name, env);
    }

    static JsonObject gemini(String name, JsonObject env) {
        return FakeCliSpecs.gemini(name, env);
    }

    static JsonObject device(String name, JsonObject env) {
        return FakeCliSpecs.device(name, env);
    }
}

package dev.loginrelay.agent.provider;

import dev.loginrelay.agent.provider.ProviderSpec.Callback;
import dev.loginrelay.agent.provider.ProviderSpec.CodeInput;
import dev.loginrelay.agent.provider.ProviderSpec.CredentialFile;
import dev.loginrelay.agent.provider.ProviderSpec.Detect;
import dev.loginrelay.agent.provider.ProviderSpec.FailureMatch;
import dev.loginrelay.agent.provider.ProviderSpec.Identity;
import dev.loginrelay.agent.provider.ProviderSpec.PromptAnswer;
import dev.loginrelay.agent.provider.ProviderSpec.RelayMode;
import dev.loginrelay.agent.provider.ProviderSpec.SeedFile;
import dev.loginrelay.agent.provider.ProviderSpec.Success;
import dev.loginrelay.agent.provider.ProviderSpec.Timeouts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Turns a spec's JSON into a {@link ProviderSpec}, failing with the field and the source named. */
final class SpecParser {
    private static final Set<String> KEYS = Set.of("name", "displayName", "supported", "unsupportedReason",
        "testedVersion", "command", "env", "dirs", "files", "relay", "detect", "prompts", "failures", "attemptFailures",
        "callback", "code", "success", "exclusive", "timeouts", "versionCommand", "extends", "$comment");

    private SpecParser() {
    }

    static ProviderSpec parse(JsonObject json, String source) {
        try {
            for (String key : json.fieldNames()) {
                if (!KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown key '" + key + "'");
                }
            }
            boolean supported = json.getBoolean("supported", true);
            return new ProviderSpec(json.getString("name"), json.getString("displayName"), supported,
                json.getString("unsupportedReason"), json.getString("testedVersion"),
                strings(json.getJsonArray("command")), stringMap(json.getJsonObject("env")),
                strings(json.getJsonArray("dirs")),
                list(json.getJsonArray("files"), o -> new SeedFile(o.getString("path"), o.getString("content"),
                    o.getBoolean("workspace", false))),
                relay(json.getString("relay"), supported), detect(json.getJsonObject("detect")),
                list(json.getJsonArray("prompts"), o -> new PromptAnswer(o.getString("name"),
                    regex(o.getString("pattern"), "prompts[].pattern"), o.getString("answer"),
                    o.getInteger("maxTimes", 1))),
                failures(json.getJsonArray("failures")), failures(json.getJsonArray("attemptFailures")),
                new Callback(strings(json.getJsonObject("callback", new JsonObject())
                    .getJsonArray("followLocalRedirects"))),
                code(json.getJsonObject("code")), success(json.getJsonObject("success")), json.getString("exclusive"),
                timeouts(json.getJsonObject("timeouts")), strings(json.getJsonArray("versionCommand")));
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("provider spec " + source + ": a field has the wrong JSON type: "
                + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("provider spec " + source + ": " + e.getMessage(), e);
        }
    }

    private static RelayMode relay(String value, boolean supported) {
        if (value == null) {
            if (supported) {
                throw new IllegalArgumentException("relay is required (loopback_callback, paste_code, device_code)");
            }
            return null;
        }
        try {
            return RelayMode.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("relay must be loopback_callback, paste_code or device_code, not '"
                + value + "'", e);
        }
    }

    private static Detect detect(JsonObject o) {
        if (o == null) {
            return null;
        }
        return new Detect(regex(o.getString("authUrl"), "detect.authUrl"),
            regex(o.getString("verificationUrl"), "detect.verificationUrl"),
            regex(o.getString("userCode"), "detect.userCode"), regex(o.getString("inputPrompt"), "detect.inputPrompt"),
            regex(o.getString("successText"), "detect.successText"));
    }

    private static List<FailureMatch> failures(JsonArray a) {
        return list(a, o -> new FailureMatch(o.getString("code"), regex(o.getString("pattern"), "failures[].pattern")));
    }

    private static CodeInput code(JsonObject o) {
        if (o == null) {
            return null;
        }
        return new CodeInput(regex(o.getString("pattern"), "code.pattern"), o.getString("hint"),
            o.getInteger("maxLength", 512), o.getString("stateSeparator"), o.getString("submitSuffix"));
    }

    private static Success success(JsonObject o) {
        if (o == null) {
            return null;
        }
        JsonObject id = o.getJsonObject("identity");
        Identity identity = id == null ? null : new Identity(id.getString("source"), id.getString("file"),
            id.getString("jwtPointer"), stringMap(id.getJsonObject("fields")));
        List<Integer> exitCodes = new ArrayList<>();
        for (Object v : o.getJsonArray("exitCodes", new JsonArray())) {
            exitCodes.add((Integer) v);
        }
        return new Success(exitCodes, credentialFiles(o.getJsonArray("credentialFiles")),
            strings(o.getJsonArray("verifyCommand")), o.getInteger("verifyExitCode", 0),
            o.getBoolean("endProcessOnCredentials", false), identity);
    }

    /** Each entry a path (the whole file) or {@code {"path", "keys": [top-level keys]}} (only those keys). */
    private static List<CredentialFile> credentialFiles(JsonArray a) {
        List<CredentialFile> out = new ArrayList<>();
        for (int i = 0; a != null && i < a.size(); i++) {
            String field = "success.credentialFiles[" + i + "]";
            Object v = a.getValue(i);
            if (v instanceof String path) {
                out.add(CredentialFile.whole(path));
                continue;
            }
            if (!(v instanceof JsonObject o)) {
                throw new IllegalArgumentException(field + " must be a path or {\"path\", \"keys\"}, not " + v);
            }
            for (String key : o.fieldNames()) {
                if (!key.equals("path") && !key.equals("keys")) {
                    throw new IllegalArgumentException(field + ": unknown key '" + key + "' (path, keys)");
                }
            }
            if (!(o.getValue("path") instanceof String path)) {
                throw new IllegalArgumentException(field + ".path is required (a path relative to HOME)");
            }
            if (!(o.getValue("keys") instanceof JsonArray keys) || keys.isEmpty()
                    || !keys.stream().allMatch(k -> k instanceof String)) {
                throw new IllegalArgumentException(field + ".keys must be a non-empty array of top-level key names "
                    + "(give the path as a plain string to take the whole file)");
            }
            out.add(new CredentialFile(path, strings(keys)));
        }
        return out;
    }

    private static Timeouts timeouts(JsonObject o) {
        if (o == null) {
            return null;
        }
        return new Timeouts(o.getInteger("startSeconds", 60), o.getInteger("userSeconds", 600),
            o.getInteger("finishSeconds", 60));
    }

    private static String regex(String value, String field) {
        if (value != null) {
            try {
                Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(field + " is not a valid regular expression: "
                    + e.getDescription(), e);
            }
        }
        return value;
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        if (a != null) {
            for (Object v : a) {
                out.add((String) v);
            }
        }
        return out;
    }

    private static Map<String, String> stringMap(JsonObject o) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o != null) {
            for (String k : o.fieldNames()) {
                out.put(k, o.getString(k));
            }
        }
        return out;
    }

    private static <T> List<T> list(JsonArray a, Function<JsonObject, T> f) {
        List<T> out = new ArrayList<>();
        if (a != null) {
            for (int i = 0; i < a.size(); i++) {
                out.add(f.apply(a.getJsonObject(i)));
            }
        }
        return out;
    }
}

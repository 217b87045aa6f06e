package dev.loginrelay.agent.provider;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One CLI's login, as data: how to start it, what to look for in its terminal output, how the browser step is
 * relayed, and how success is proven. Parsed from {@code providers/*.json} by {@link SpecParser}; the shipped specs
 * are written from {@code docs/cli-facts.md} and an operator directory can add or override them.
 *
 * @param name            the provider id used in the API ({@code codex}, {@code claude}, ...)
 * @param displayName     what a person reads
 * @param supported       false for a CLI that has no browser login to relay (then only the reason matters)
 * @param unsupportedReason why an unsupported provider cannot be used, or null
 * @param testedVersion   the CLI version the patterns were written against (the doctor compares it)
 * @param command         argv of the login command; the first element is looked up on the run's PATH
 * @param env             extra environment, {@code ${HOME}} and {@code ${SESSION_ID}} expanded per run
 * @param dirs            directories created (0700) in the fresh HOME before the CLI starts (codex needs CODEX_HOME)
 * @param files           files written into the fresh HOME before the CLI starts (pre-seeded settings)
 * @param relay           how the browser step comes back
 * @param detect          patterns that find the auth URL, device code, input prompt and success text
 * @param prompts         known prompts and the keys that answer them
 * @param failures        terminal failure lines: error code plus the CLI's own text
 * @param attemptFailures lines that report a rejected attempt after which the CLI asks again
 * @param callback        loopback relay rules (redirects the agent follows inside the VM)
 * @param code            rules for a pasted code
 * @param success         how success is proven (never the CLI's word alone)
 * @param exclusive       a host-wide lock group (e.g. codex's fixed port 1455), or null
 * @param timeouts        per-phase deadlines
 * @param versionCommand  argv that prints the CLI version, for the self-check
 */
public record ProviderSpec(String name, String displayName, boolean supported, String unsupportedReason,
                           String testedVersion, List<String> command, Map<String, String> env, List<String> dirs, List<SeedFile> files,
                           RelayMode relay, Detect detect, List<PromptAnswer> prompts, List<FailureMatch> failures,
                           List<FailureMatch> attemptFailures, Callback callback, CodeInput code, Success success,
                           String exclusive, Timeouts timeouts, List<String> versionCommand) {

    public ProviderSpec {
        Objects.requireNonNull(name, "name");
        displayName = displayName == null ? name : displayName;
        command = List.copyOf(command);
        env = Map.copyOf(env);
        dirs = List.copyOf(dirs);
        for (String d : dirs) {
            if (d.startsWith("/") || d.contains("..")) {
                throw new IllegalArgumentException("dirs must be relative to HOME without '..': " + d);
            }
        }
        files = List.copyOf(files);
        prompts = List.copyOf(prompts);
        failures = List.copyOf(failures);
        attemptFailures = List.copyOf(attemptFailures);
        versionCommand = List.copyOf(versionCommand);
        if (supported) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("provider " + name + ": command cannot be empty");
            }
            Objects.requireNonNull(relay, "relay");
            Objects.requireNonNull(detect, "detect");
            Objects.requireNonNull(success, "success");
            Objects.requireNonNull(timeouts, "timeouts");
        }
    }

    /** How the browser step returns to the CLI. */
    public enum RelayMode {
        /** The user pastes the {@code http://localhost:PORT/...callback?...} URL; the agent replays it to the CLI. */
        LOOPBACK_CALLBACK("callback_url"),
        /** The user pastes a code shown by the provider's page; the agent types it into the PTY. */
        PASTE_CODE("code"),
        /** The user enters a code on the provider's page; the CLI polls by itself. */
        DEVICE_CODE("none");

        private final String expects;

        RelayMode(String expects) {
            this.expects = expects;
        }

        /** What the user is expected to hand back: {@code callback_url}, {@code code} or {@code none}. */
        public String expects() {
            return expects;
        }

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A file written into a login's fresh HOME before the CLI starts (0600).
     *
     * @param workspace also needed where the login is installed: merged into a workspace HOME on install (missing
     *                  JSON keys added, the user's values kept)
     */
    public record SeedFile(String path, String content, boolean workspace) {
        public SeedFile {
            Objects.requireNonNull(path, "files[].path");
            Objects.requireNonNull(content, "files[].content");
            if (path.startsWith("/") || path.contains("..")) {
                throw new IllegalArgumentException("files[].path must be relative to HOME without '..': " + path);
            }
        }
    }

    /** Regular expressions run over the ANSI-stripped terminal text (null = not used). */
    public record Detect(String authUrl, String verificationUrl, String userCode, String inputPrompt,
                         String successText) {
    }

    /** A known prompt and the keys that answer it (e.g. Enter for a default menu choice). */
    public record PromptAnswer(String name, String pattern, String answer, int maxTimes) {
        public PromptAnswer {
            Objects.requireNonNull(name, "prompts[].name");
            Objects.requireNonNull(pattern, "prompts[].pattern");
            Objects.requireNonNull(answer, "prompts[].answer");
            if (maxTimes < 1) {
                throw new IllegalArgumentException("prompts[].maxTimes cannot be less than 1");
            }
        }
    }

    /** A failure line: group 1 (or the whole line) is the CLI's own text, reported with {@code code}. */
    public record FailureMatch(String code, String pattern) {
        public FailureMatch {
            Objects.requireNonNull(code, "failures[].code");
            Objects.requireNonNull(pattern, "failures[].pattern");
        }
    }

    /** Loopback relay rules. */
    public record Callback(List<String> followLocalRedirects) {
        public Callback {
            followLocalRedirects = List.copyOf(followLocalRedirects);
        }
    }

    /**
     * Rules for a pasted code.
     *
     * @param pattern       the whole code must match this
     * @param hint          what to tell the user when it does not
     * @param maxLength     longest accepted code
     * @param stateSeparator when set (e.g. {@code #}), the part after it must equal the auth URL's {@code state}
     * @param submitSuffix  typed after the code ({@code \r} = Enter)
     */
    public record CodeInput(String pattern, String hint, int maxLength, String stateSeparator, String submitSuffix) {
        public CodeInput {
            if (maxLength < 1 || maxLength > 4096) {
                throw new IllegalArgumentException("code.maxLength must be between 1 and 4096");
            }
            submitSuffix = submitSuffix == null ? "\r" : submitSuffix;
        }
    }

    /**
     * How success is proven.
     *
     * @param exitCodes             exit codes that may end a successful login (empty = any; used with credentials)
     * @param credentialFiles       files (relative to HOME) this login must have written, or the named top-level keys
     *                              of one (see {@link CredentialFile})
     * @param verifyCommand         argv run after the files appear; must exit with {@code verifyExitCode}
     * @param verifyExitCode        expected exit code of the verify command
     * @param endProcessOnCredentials the CLI stays alive after success (Gemini's REPL): end it once proven
     * @param identity              where the non-secret account identity is read from
     */
    public record Success(List<Integer> exitCodes, List<CredentialFile> credentialFiles, List<String> verifyCommand,
                          int verifyExitCode, boolean endProcessOnCredentials, Identity identity) {
        public Success {
            exitCodes = List.copyOf(exitCodes);
            credentialFiles = List.copyOf(credentialFiles);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (CredentialFile f : credentialFiles) {
                if (!seen.add(f.path())) {
                    throw new IllegalArgumentException("success.credentialFiles names " + f.path() + " twice");
                }
            }
            verifyCommand = List.copyOf(verifyCommand);
            if (credentialFiles.isEmpty() && verifyCommand.isEmpty()) {
                throw new IllegalArgumentException("success needs credentialFiles or a verifyCommand");
            }
        }
    }

    /**
     * A credential file of a login. With no {@code keys} the whole file travels (a token file the CLI owns, such as
     * {@code .claude/.credentials.json}). With {@code keys} only those top-level keys of a JSON object travel, never
     * the rest of the file: for a file the CLI shares with the user's own settings and state (Claude's account in
     * {@code .claude.json}'s {@code oauthAccount}). Such a part is merged into the workspace's file on install and
     * its keys alone are removed on revocation.
     *
     * @param path relative to HOME, without {@code ..}
     * @param keys the top-level keys to take; empty = the whole file
     */
    public record CredentialFile(String path, List<String> keys) {
        public CredentialFile {
            Objects.requireNonNull(path, "success.credentialFiles[].path");
            keys = List.copyOf(keys);
            if (path.isBlank() || path.startsWith("/") || path.contains("..")) {
                throw new IllegalArgumentException("success.credentialFiles[].path must be relative to HOME without "
                    + "'..': '" + path + "'");
            }
            if (keys.stream().anyMatch(String::isBlank) || keys.stream().distinct().count() != keys.size()) {
                throw new IllegalArgumentException("success.credentialFiles[].keys of " + path
                    + " must be distinct, non-empty key names: " + keys);
            }
        }

        /** The whole file. */
        public static CredentialFile whole(String path) {
            return new CredentialFile(path, List.of());
        }

        /** True when only {@link #keys} of the file travel. */
        public boolean partial() {
            return !keys.isEmpty();
        }
    }

    /**
     * Where the account identity comes from: a JSON file under HOME ({@code source=file}) or the verify command's
     * JSON output ({@code source=verify_output}); {@code jwtPointer} points at a JWT whose claims are read instead.
     * {@code fields} maps an output name ({@code email}, {@code plan}) to a JSON pointer.
     */
    public record Identity(String source, String file, String jwtPointer, Map<String, String> fields) {
        public Identity {
            Objects.requireNonNull(source, "identity.source");
            fields = Map.copyOf(fields);
            if (!source.equals("file") && !source.equals("verify_output")) {
                throw new IllegalArgumentException("identity.source must be file or verify_output, not " + source);
            }
            if (source.equals("file") && file == null) {
                throw new IllegalArgumentException("identity.file is required when identity.source is file");
            }
        }
    }

    /** Per-phase deadlines, in seconds: until the URL/code shows, while the user acts, and to finish after that. */
    public record Timeouts(int startSeconds, int userSeconds, int finishSeconds) {
        public Timeouts {
            if (startSeconds < 1 || userSeconds < 1 || finishSeconds < 1) {
                throw new IllegalArgumentException("timeouts must be at least 1 second each");
            }
        }
    }
}

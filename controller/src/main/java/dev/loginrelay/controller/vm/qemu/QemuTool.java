package dev.loginrelay.controller.vm.qemu;

import dev.loginrelay.controller.agents.AgentClient;
import dev.loginrelay.controller.agents.AgentHandle;
import dev.loginrelay.controller.agents.AgentRunState;
import dev.loginrelay.controller.support.Secret;
import dev.loginrelay.controller.support.SecretFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The VM lifecycle from a shell, for {@code snapshot/boot.sh} and {@code snapshot/prove.sh}: the provider's own code
 * (accelerator choice, qemu command line, fw_cfg, save, restore with reseed and re-key, readiness) rather than a
 * second implementation, so what the scripts measure is what {@link QemuVmPool} does.
 * <pre>
 *   boot  --image DIR --work DIR [--timeout SECS] [--no-restore] [--reuse] [--keep] [--agent-env FILE]
 *   prove --image DIR --work DIR --fake-cli FILE [--timeout SECS] [--build-ms MS]
 * </pre>
 * Settings the provider reads ({@code LOGINRELAY_QEMU_ACCEL}, {@code _MEM_MB}, {@code _CPUS}, {@code _EGRESS},
 * {@code _BIN}, {@code _IMG_BIN}) come from the environment. Prints one JSON line on stdout, progress on stderr;
 * every qemu it starts is killed on exit, also on failure or a signal (but a clone kept with {@code --keep}).
 */
public final class QemuTool {
    /** What the tool does. */
    enum Command {
        /** Cold boot, save the golden snapshot, restore a clone; times each step. */
        BOOT,
        /** Cold boot with a fake provider, save, then two clones each running a fake login to ready. */
        PROVE
    }

    /**
     * Parsed arguments.
     *
     * @param buildMs  prove: how long the caller's {@code build.sh} took, for the JSON line; null = not run
     * @param agentEnv boot: an {@code agent.env} the cold boot gives the guest through fw_cfg; null = none
     */
    record Options(Command command, Path image, Path work, Duration timeout, boolean restore, boolean reuse,
                   boolean keep, Path fakeCli, Long buildMs, Path agentEnv) {
    }

    /** One line of the JSON the script prints, and whether the run proved what it set out to. */
    record Result(JsonObject line, boolean ok) {
    }

    /** A golden snapshot: memory state, the disk that goes with it, the accelerator it restores under. */
    record Golden(Path state, Path disk, String accel) {
    }

    /** The browser's callback for a fake login, and the OAuth state in it. */
    record Callback(String url, String state) {
    }

    private record Made(Golden golden, long coldMs, long saveMs) {
    }

    private record Clone(Path dir, AgentHandle handle, String uuid, long restoreMs) {
    }

    private record Login(String state, String uuid, long restoreMs, long loginMs) {
    }

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(900);
    /** The provider {@code prove} gives its VMs: the agent's fake codex-like CLI, a browser login on loopback. */
    static final String FAKE_PROVIDER = "fakeloop";
    private static final String FAKE_IN_GUEST = "/run/loginrelay/providers/fake-loopback.js";
    private static final Duration LOGIN_STEP = Duration.ofSeconds(300);
    private static final long RUN_POLL_MS = 500;
    private static final Logger log = LoggerFactory.getLogger(QemuTool.class);

    private final Options options;
    private final QemuPoolConfig config;
    private final Vertx vertx;
    private final AgentClient client;
    private final QemuAgentReady ready;
    /** VM dirs started here and not yet destroyed: the exit hook destroys them. */
    private final Queue<Path> started = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Path> kept = new AtomicReference<>();
    private final AtomicReference<Path> current = new AtomicReference<>();

    private QemuTool(Options options, QemuPoolConfig config, Vertx vertx) {
        this.options = options;
        this.config = config;
        this.vertx = vertx;
        this.client = new AgentClient(vertx, AgentClient.DEFAULT_TIMEOUT);
        this.ready = new QemuAgentReady(vertx, client);
    }

    public static void main(String[] args) {
        Options o;
        QemuPoolConfig c;
        try {
            o = parse(List.of(args));
            c = config(o, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("qemu-tool: " + e.getMessage());
            System.exit(2);
            return;
        }
        Vertx vertx = Vertx.vertx();
        QemuTool tool = new QemuTool(o, c, vertx);
        Runtime.getRuntime().addShutdownHook(new Thread(tool::destroyStarted, "qemu-tool-exit"));
        int code = tool.run();
        tool.client.close();
        vertx.close();
        System.exit(code);
    }

    /** Parses the command line; an IllegalArgumentException names what is wrong. */
    static Options parse(List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a command is required: boot or prove");
        }
        Command command = switch (args.get(0)) {
            case "boot" -> Command.BOOT;
            case "prove" -> Command.PROVE;
            default -> throw new IllegalArgumentException("unknown command '" + args.get(0) + "': boot or prove");
        };
        Path image = null;
        Path work = null;
        Path fakeCli = null;
        Path agentEnv = null;
        Long buildMs = null;
        Duration timeout = DEFAULT_TIMEOUT;
        boolean restore = true;
        boolean reuse = false;
        boolean keep = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--image" -> image = Path.of(value(args, ++i, a));
                case "--work" -> work = Path.of(value(args, ++i, a));
                case "--timeout" -> timeout = Duration.ofSeconds(number(value(args, ++i, a), a, 1));
                case "--no-restore" -> restore = only(command, Command.BOOT, a, false);
                case "--reuse" -> reuse = only(command, Command.BOOT, a, true);
                case "--keep" -> keep = only(command, Command.BOOT, a, true);
                case "--agent-env" -> agentEnv = Path.of(value(args, ++i, only(command, Command.BOOT, a, a)));
                case "--fake-cli" -> fakeCli = Path.of(value(args, ++i, only(command, Command.PROVE, a, a)));
                case "--build-ms" -> buildMs = number(value(args, ++i, only(command, Command.PROVE, a, a)), a, 0);
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        if (image == null || work == null) {
            throw new IllegalArgumentException("--image DIR and --work DIR are required");
        }
        if (command == Command.PROVE && fakeCli == null) {
            throw new IllegalArgumentException("prove needs --fake-cli FILE (the agent's fake-loopback.js)");
        }
        return new Options(command, image, work, timeout, restore, reuse, keep, fakeCli, buildMs, agentEnv);
    }

    /**
     * The provider's config for these options: the image, work dir and timeout from the command line, the VM's
     * settings from {@code LOGINRELAY_QEMU_*} as the provider reads them (no extra providers: prove packs its own).
     */
    static QemuPoolConfig config(Options o, Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.put("LOGINRELAY_QEMU_IMAGE_DIR", o.image().toString());
        e.put("LOGINRELAY_QEMU_WORK_DIR", o.work().toString());
        e.put("LOGINRELAY_QEMU_START_TIMEOUT_SECONDS", Long.toString(o.timeout().toSeconds()));
        e.remove("LOGINRELAY_QEMU_PROVIDERS_DIR");
        return QemuPoolConfig.fromEnv(e, o.work());
    }

    /**
     * The callback a browser would be sent to after the user approved the login at {@code authUrl}: its
     * {@code redirect_uri} with a code and the same {@code state}.
     */
    static Callback callback(String authUrl) {
        Map<String, String> q = query(URI.create(authUrl));
        String state = q.get("state");
        String redirect = q.get("redirect_uri");
        if (state == null || redirect == null) {
            throw new IllegalArgumentException("the auth URL has no state or redirect_uri");
        }
        URI r = URI.create(redirect);
        return new Callback("http://localhost:" + r.getPort() + r.getRawPath() + "?code=good-code&state="
            + URLEncoder.encode(state, StandardCharsets.UTF_8), state);
    }

    private int run() {
        long bound = options.timeout().multipliedBy(4).plus(LOGIN_STEP.multipliedBy(4)).toSeconds();
        CompletableFuture<Result> done = new CompletableFuture<>();
        (options.command() == Command.BOOT ? boot() : prove())
            .onSuccess(done::complete).onFailure(done::completeExceptionally);
        try {
            Result r = done.get(bound, TimeUnit.SECONDS); // main thread; every step has its own deadline too
            System.out.println(r.line().encode());
            return r.ok() ? 0 : 1;
        } catch (ExecutionException e) {
            Path dir = current.get();
            log.error("{} failed: {}{}", options.command().name().toLowerCase(Locale.ROOT), e.getCause().getMessage(),
                dir == null ? "" : "; console of " + dir.getFileName() + ": " + QemuVm.consoleTail(dir));
            return 1;
        } catch (TimeoutException e) {
            log.error("{} did not finish within {} s", options.command().name().toLowerCase(Locale.ROOT), bound);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private Future<Result> boot() {
        JsonObject line = new JsonObject();
        return blocking(this::reusable).compose(found -> {
            if (found != null) {
                log.info("reusing the snapshot in {} ({})", found.state().getParent(), found.accel());
                line.put("accel", found.accel()).putNull("cold_boot_ms").putNull("snapshot_save_ms");
                return Future.succeededFuture(found);
            }
            return blocking(this::accel)
                .compose(accel -> makeGolden(accel, new QemuVm.GuestFiles(null, options.agentEnv())))
                .map(made -> {
                    line.put("accel", made.golden().accel()).put("cold_boot_ms", made.coldMs())
                        .put("snapshot_save_ms", made.saveMs());
                    return made.golden();
                });
        }).compose(golden -> {
            if (!options.restore()) {
                return Future.succeededFuture(new Result(line.putNull("restore_ms"), true));
            }
            return restoreClone("clone-1", golden).map(c -> {
                if (options.keep()) {
                    kept.set(c.dir());
                    log.info("clone kept running: {} (agent on port {}); stop it with: kill $(cat {}/qemu.pid)",
                        c.dir(), QemuVm.load(c.dir()).map(QemuVm.Running::port).orElse(-1), c.dir());
                }
                return new Result(line.put("restore_ms", c.restoreMs()), true);
            });
        });
    }

    private Future<Result> prove() {
        JsonObject line = new JsonObject();
        AtomicReference<Object> fullBuildS = new AtomicReference<>();
        return blocking(() -> {
            // what an earlier run left; only the names this tool makes, whatever else --work holds
            for (String made : List.of("bundle", "providers.tar", "golden-src", "golden", "clone-a", "clone-b")) {
                QemuVm.destroy(options.work().resolve(made)); // kills a qemu left running there, deletes the rest
            }
            fullBuildS.set(new JsonObject(Files.readString(config.imageDir().resolve("manifest.json")))
                .getValue("buildDurationSeconds"));
            return bundle();
        }).compose(files -> blocking(this::accel).compose(accel -> makeGolden(accel, files)))
            .compose(made -> {
                line.put("accel", made.golden().accel()).put("build_ms", options.buildMs())
                    .put("full_build_s", fullBuildS.get()).put("cold_boot_to_agent_ready_ms", made.coldMs())
                    .put("snapshot_save_ms", made.saveMs());
                return cloneAndLogin("a", made.golden())
                    .compose(a -> cloneAndLogin("b", made.golden()).map(b -> verdict(line, a, b)));
            });
    }

    private static Result verdict(JsonObject line, Login a, Login b) {
        boolean states = !a.state().equals(b.state());
        boolean uuids = !a.uuid().equals(b.uuid());
        if (!states) {
            log.error("FAIL: both clones minted the same OAuth state");
        }
        if (!uuids) {
            log.error("FAIL: both clones produced the same kernel UUID");
        }
        line.put("restore_to_agent_ready_ms", new JsonArray().add(a.restoreMs()).add(b.restoreMs()))
            .put("login_to_ready_ms", new JsonArray().add(a.loginMs()).add(b.loginMs()))
            .put("clone_states_differ", states).put("clone_uuids", new JsonArray().add(a.uuid()).add(b.uuid()));
        return new Result(line, states && uuids);
    }

    /**
     * The {@code fakeloop} provider packed as the per-VM bundle, as {@code LOGINRELAY_QEMU_PROVIDERS_DIR} would be:
     * the fake CLI and a spec that runs it (a codex-like browser login on a loopback port).
     */
    private QemuVm.GuestFiles bundle() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(options.work().resolve("bundle"));
        Files.copy(options.fakeCli(), dir.resolve("fake-loopback.js"));
        JsonObject spec = new JsonObject().put("name", FAKE_PROVIDER).put("extends", "codex")
            .put("displayName", "Fake loopback CLI (prove.sh)")
            .put("command", new JsonArray().add("node").add(FAKE_IN_GUEST).add("login"))
            .put("env", new JsonObject().put("CODEX_HOME", "${HOME}/.codex"))
            .put("detect", new JsonObject().put("authUrl",
                "https://auth\\.example\\.test/oauth/authorize\\?[A-Za-z0-9._~%&=+\\-]+"))
            .put("success", new JsonObject().put("credentialFiles", new JsonArray().add(".fakecli/auth.json"))
                .put("verifyCommand", new JsonArray().add("node").add(FAKE_IN_GUEST).add("login").add("status"))
                .put("identity", new JsonObject().put("source", "file").put("file", ".fakecli/auth.json")))
            .put("exclusive", "fakeloop-port")
            .put("versionCommand", new JsonArray().add("node").add(FAKE_IN_GUEST).add("--version"));
        Files.writeString(dir.resolve(FAKE_PROVIDER + ".json"), spec.encodePrettily());
        Path tar = options.work().resolve("providers.tar");
        QemuGolden.pack(dir, tar);
        return new QemuVm.GuestFiles(tar, null);
    }

    /** A snapshot in {@code <work>/golden} made from this very image (boot --reuse); null when there is none. */
    private Golden reusable() throws IOException {
        Path golden = options.work().resolve("golden");
        if (!options.reuse() || !Files.isRegularFile(golden.resolve("state.bin"))
            || !Files.isRegularFile(golden.resolve("disk.qcow2"))
            || !Files.isRegularFile(golden.resolve("manifest.json"))
            || Files.mismatch(golden.resolve("manifest.json"), config.imageDir().resolve("manifest.json")) != -1) {
            return null;
        }
        return new Golden(golden.resolve("state.bin"), golden.resolve("disk.qcow2"),
            Files.readString(golden.resolve("accel")).strip());
    }

    private String accel() throws IOException, InterruptedException {
        Files.createDirectories(options.work().resolve("golden"));
        String accel = QemuGolden.accel(config);
        log.info("accelerator: {} ({})", accel, config.accel().equals("auto") ? "auto: KVM probe" : "as configured");
        return accel;
    }

    /**
     * Cold-boots the image into {@code <work>/golden-src} until its agent answers, then saves it as the golden
     * snapshot in {@code <work>/golden} ({@code state.bin}, {@code disk.qcow2}, {@code accel}, and the image's
     * {@code manifest.json}: the snapshot goes with this exact image).
     */
    private Future<Made> makeGolden(String accel, QemuVm.GuestFiles files) {
        Path src = options.work().resolve("golden-src");
        Path golden = options.work().resolve("golden");
        Secret token = Secret.of(SecretFiles.randomToken());
        long t0 = System.nanoTime();
        long deadline = t0 + options.timeout().toNanos();
        return blocking(() -> {
            QemuVm.destroy(src);
            QemuVm.deleteTree(golden);
            Files.createDirectories(golden);
            return launch(src, accel, token, config.imageDir().resolve("rootfs.ext4"), files, false);
        }).compose(vm -> ready.health(handle(vm, token), src, deadline, options.timeout()).map(h -> vm))
            .compose(vm -> {
                long cold = ms(System.nanoTime() - t0);
                log.info("cold boot to agent ready: {} ms", cold);
                long t1 = System.nanoTime();
                return blocking(() -> {
                    QemuVm.save(vm, golden.resolve("state.bin"), deadline);
                    Files.move(src.resolve("disk.qcow2"), golden.resolve("disk.qcow2"));
                    Files.writeString(golden.resolve("accel"), accel + "\n");
                    Files.copy(config.imageDir().resolve("manifest.json"), golden.resolve("manifest.json"),
                        StandardCopyOption.REPLACE_EXISTING);
                    QemuVm.destroy(src);
                    started.remove(src);
                    long save = ms(System.nanoTime() - t1);
                    log.info("snapshot saved in {} ms ({} MiB of state)", save,
                        Files.size(golden.resolve("state.bin")) >> 20);
                    return new Made(new Golden(golden.resolve("state.bin"), golden.resolve("disk.qcow2"), accel),
                        cold, save);
                });
            });
    }

    /**
     * A clone in {@code <work>/<name>} restored from {@code golden} (clock set, RNG reseeded, re-keyed) until its
     * agent answers an authenticated call with the clone's own token.
     */
    private Future<Clone> restoreClone(String name, Golden golden) {
        Path dir = options.work().resolve(name);
        Secret token = Secret.of(SecretFiles.randomToken());
        long t0 = System.nanoTime();
        long deadline = t0 + options.timeout().toNanos();
        AtomicReference<String> uuid = new AtomicReference<>();
        return blocking(() -> {
            QemuVm.destroy(dir);
            QemuVm.Running vm = launch(dir, golden.accel(), token, golden.disk(), QemuVm.GuestFiles.NONE, true);
            uuid.set(QemuVm.restore(vm, golden.state(), token, deadline));
            log.info("{}: state loaded, clock set, RNG reseeded, re-keyed (first kernel UUID {})", name, uuid.get());
            return handle(vm, token);
        }).compose(h -> ready.health(h, dir, deadline, options.timeout()))
            .compose(h -> ready.ownToken(h, deadline))
            .map(h -> {
                long restore = ms(System.nanoTime() - t0);
                log.info("{}: restore to agent ready (own token accepted): {} ms", name, restore);
                return new Clone(dir, h, uuid.get(), restore);
            });
    }

    /** Restores a clone, runs a fakeloop login in it to ready (the test plays the browser), destroys the clone. */
    private Future<Login> cloneAndLogin(String name, Golden golden) {
        String run = "prove-" + name;
        return restoreClone("clone-" + name, golden).compose(c -> {
            long t0 = System.nanoTime();
            return client.startRun(c.handle(), run, FAKE_PROVIDER)
                .compose(v -> awaitState(c.handle(), run, AgentRunState.AWAITING_USER,
                    System.nanoTime() + LOGIN_STEP.toNanos()))
                .compose(view -> {
                    Callback cb = callback(view.getString("authUrl"));
                    return client.callback(c.handle(), run, cb.url()).map(v -> cb.state());
                })
                .compose(state -> awaitState(c.handle(), run, AgentRunState.READY,
                    System.nanoTime() + LOGIN_STEP.toNanos()).map(v -> state))
                .compose(state -> {
                    long login = ms(System.nanoTime() - t0);
                    log.info("clone {}: {} login ready in {} ms", name, FAKE_PROVIDER, login);
                    return blocking(() -> {
                        QemuVm.destroy(c.dir());
                        started.remove(c.dir());
                        return new Login(state, c.uuid(), c.restoreMs(), login);
                    });
                });
        });
    }

    private Future<JsonObject> awaitState(AgentHandle h, String run, AgentRunState want, long deadline) {
        return client.run(h, run).compose(view -> {
            AgentRunState st = AgentRunState.fromWire(view.getString("state"));
            if (st == want) {
                return Future.succeededFuture(view);
            }
            if (st.isTerminal()) {
                JsonObject err = view.getJsonObject("error", new JsonObject());
                return Future.failedFuture("run " + run + " ended " + st.wireName() + ": "
                    + err.getString("code", "") + " " + err.getString("message", ""));
            }
            if (System.nanoTime() > deadline) {
                return Future.failedFuture("run " + run + " still " + st.wireName() + " after "
                    + LOGIN_STEP.toSeconds() + " s");
            }
            return vertx.timer(RUN_POLL_MS).compose(v -> awaitState(h, run, want, deadline));
        });
    }

    private QemuVm.Running launch(Path dir, String accel, Secret token, Path backing, QemuVm.GuestFiles files,
                                  boolean incoming) throws IOException, InterruptedException {
        started.add(dir);
        current.set(dir);
        return QemuVm.launch(config, accel, dir, token, backing, files, incoming);
    }

    private static AgentHandle handle(QemuVm.Running vm, Secret token) {
        String id = vm.dir().getFileName().toString();
        return new AgentHandle(id, "http://127.0.0.1:" + vm.port(), token, id, "127.0.0.1");
    }

    /** Kills and deletes every VM started here that is still there, but the one kept with --keep. */
    private void destroyStarted() {
        for (Path dir : started) {
            if (dir.equals(kept.get())) {
                continue;
            }
            try {
                QemuVm.destroy(dir);
            } catch (IOException e) {
                System.err.println("qemu-tool: " + dir + " could not be deleted: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private <T> Future<T> blocking(Callable<T> work) {
        return vertx.executeBlocking(work, false);
    }

    private static Map<String, String> query(URI u) {
        Map<String, String> q = new HashMap<>();
        if (u.getRawQuery() != null) {
            for (String kv : u.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size() || args.get(i).startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static long number(String v, String option, long min) {
        try {
            long n = Long.parseLong(v);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " must be a whole number of at least " + min + ", not '" + v
            + "'");
    }

    /** {@code then} when {@code option} belongs to {@code command}; else an error naming both. */
    private static <T> T only(Command command, Command owner, String option, T then) {
        if (command != owner) {
            throw new IllegalArgumentException(option + " is for " + owner.name().toLowerCase(Locale.ROOT) + " only");
        }
        return then;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}

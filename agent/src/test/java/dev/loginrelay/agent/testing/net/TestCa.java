package dev.loginrelay.agent.testing.net;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throwaway certificate authority made at test time, and one leaf certificate it signs for every provider host the
 * CLIs talk to. The CLIs trust it through {@code CODEX_CA_CERTIFICATE} / {@code SSL_CERT_FILE} (codex) or
 * {@code NODE_EXTRA_CA_CERTS} (claude, gemini), so {@link MitmProxy} can terminate their TLS. Nothing is committed:
 * the files live in the caller's temp dir, the CA's private key is deleted as soon as the leaf is signed and the
 * leaf's once it is loaded (it lives on in memory only).
 *
 * <p>Made with {@code openssl} (as in {@code docs/cli-facts.md} §7, "End-to-end test harness"): the JDK has no
 * public API to issue certificates, and BouncyCastle is not in every offline Maven repository the build runs from.
 * EC P-256 keys keep generation fast; rustls (codex) and Node (claude, gemini) both accept them.
 */
public final class TestCa {
    /** The names the leaf is valid for: the providers' auth, API and telemetry hosts (one leaf: no SNI choice). */
    public static final List<String> HOSTS = List.of(
        "auth.openai.com", "*.openai.com", "openai.com", "chatgpt.com", "*.chatgpt.com",
        "platform.claude.com", "claude.ai", "*.claude.ai", "claude.com", "*.claude.com",
        "api.anthropic.com", "*.anthropic.com", "statsig.anthropic.com", "*.sentry.io", "*.ingest.us.sentry.io",
        "oauth2.googleapis.com", "*.googleapis.com", "www.googleapis.com", "cloudcode-pa.googleapis.com",
        "play.googleapis.com", "accounts.google.com", "*.google.com", "codeassist.google.com",
        "registry.npmjs.org", "raw.githubusercontent.com", "*.githubusercontent.com", "api.github.com",
        "github.com", "*.github.com", "*.githubcopilot.com", "*.individual.githubcopilot.com");
    private static final Pattern PEM_BLOCK =
        Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final long OPENSSL_SECONDS = 60;

    private final Path caPem;
    private final X509Certificate ca;
    private final X509Certificate leaf;
    private final PrivateKey leafKey;

    private TestCa(Path caPem, X509Certificate ca, X509Certificate leaf, PrivateKey leafKey) {
        this.caPem = caPem;
        this.ca = ca;
        this.leaf = leaf;
        this.leafKey = leafKey;
    }

    /** Makes a new CA and leaf in {@code dir} (a temp dir); only the certificates stay there as files. */
    public static TestCa create(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path caKey = dir.resolve("ca.key");
        Path caPem = dir.resolve("ca.pem");
        Path leafKey = dir.resolve("leaf.key");
        Path leafCsr = dir.resolve("leaf.csr");
        Path leafPem = dir.resolve("leaf.pem");
        Path ext = dir.resolve("leaf.ext");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", caKey.toString(), "-out", caPem.toString(), "-days", "2",
            "-subj", "/CN=LoginRelay throwaway test CA " + System.nanoTime(),
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", leafKey.toString(), "-out", leafCsr.toString(), "-subj", "/CN=loginrelay-test-leaf");
        Files.writeString(ext, "basicConstraints=critical,CA:FALSE\n"
            + "keyUsage=critical,digitalSignature\n"
            + "extendedKeyUsage=serverAuth\n"
            + "subjectKeyIdentifier=hash\n"
            + "authorityKeyIdentifier=keyid\n"
            + "subjectAltName=" + String.join(",", HOSTS.stream().map(h -> "DNS:" + h).toList()) + "\n");
        try {
            openssl(dir, "x509", "-req", "-in", leafCsr.toString(), "-CA", caPem.toString(), "-CAkey",
                caKey.toString(), "-set_serial", Long.toString(System.nanoTime()), "-days", "2",
                "-extfile", ext.toString(), "-out", leafPem.toString());
        } finally {
            Files.deleteIfExists(caKey);
            Files.deleteIfExists(leafCsr);
        }
        try {
            return new TestCa(caPem, certificate(caPem), certificate(leafPem), privateKey(leafKey));
        } catch (GeneralSecurityException e) {
            throw new IOException("openssl wrote a certificate or key the JDK cannot read", e);
        } finally {
            Files.deleteIfExists(leafKey);
        }
    }

    /** The CA certificate (PEM) to hand to the CLI as its extra trusted CA. */
    public Path caPem() {
        return caPem;
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    public X509Certificate leafCertificate() {
        return leaf;
    }

    /** A server-side TLS context presenting the leaf (and the CA behind it). */
    public SSLContext serverContext() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pass = new char[0];
            ks.setKeyEntry("leaf", leafKey, pass, new Certificate[] {leaf, ca});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the test TLS context", e);
        }
    }

    private static X509Certificate certificate(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** A PKCS#8 {@code BEGIN PRIVATE KEY} block, which OpenSSL 3 writes for {@code req -keyout}. */
    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        Matcher m = PEM_BLOCK.matcher(Files.readString(pem, StandardCharsets.US_ASCII));
        if (!m.find() || !m.group(1).equals("PRIVATE KEY")) {
            throw new IOException(pem + " holds no PKCS#8 private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static void openssl(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IOException("the openssl command makes the throwaway test CA; install it (Debian: openssl, "
                + "which ca-certificates already pulls in)", e);
        }
        try {
            if (!p.waitFor(OPENSSL_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("openssl " + args[0] + " did not finish within " + OPENSSL_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running openssl " + args[0], e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("openssl " + args[0] + " exited " + p.exitValue() + ": "
                + Files.readString(log, StandardCharsets.UTF_8).strip());
        }
    }
}

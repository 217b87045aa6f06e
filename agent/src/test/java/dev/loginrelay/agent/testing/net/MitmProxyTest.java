package dev.loginrelay.agent.testing.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The test CA and the intercepting proxy on their own, with the JDK's HTTP client in the role of a CLI: CONNECT,
 * TLS with the throwaway leaf, the request handed to the handler and recorded; a client without the CA refuses.
 */
@Timeout(60)
final class MitmProxyTest {
    @TempDir
    static Path dir;
    static TestCa ca;
    static MitmProxy proxy;

    @BeforeAll
    static void start() throws IOException {
        ca = TestCa.create(dir);
        proxy = MitmProxy.start(ca, x -> MitmProxy.Reply.json(200, "{\"host\":\"" + x.host() + "\",\"path\":\""
            + x.target() + "\",\"body\":" + x.body().length() + "}"));
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void makesACaAndOneLeafForEveryProviderHostAndKeepsNoCaKey() throws Exception {
        X509Certificate leaf = ca.leafCertificate();
        leaf.verify(ca.caCertificate().getPublicKey());
        assertThat(ca.caCertificate().getBasicConstraints()).as("the CA is a CA").isGreaterThanOrEqualTo(0);
        assertThat(leaf.getBasicConstraints()).as("the leaf is not").isEqualTo(-1);
        assertThat(leaf.getSubjectAlternativeNames()).extracting(san -> (Object) san.get(1))
            .contains("auth.openai.com", "platform.claude.com", "api.anthropic.com", "oauth2.googleapis.com",
                "*.googleapis.com", "cloudcode-pa.googleapis.com", "accounts.google.com");
        assertThat(Files.readString(ca.caPem())).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(dir.resolve("ca.key")).as("the CA key is deleted once the leaf is signed").doesNotExist();
        assertThat(dir.resolve("leaf.key")).as("the leaf key lives in memory only").doesNotExist();
    }

    @Test
    void terminatesTlsForAProviderHostAndRecordsTheRequest() throws Exception {
        HttpClient client = client(trusting(ca));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("https://platform.claude.com/v1/oauth/token?x=1"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"abc\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> again = client.send(HttpRequest.newBuilder(URI.create("https://platform.claude.com/y"))
            .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body())
            .isEqualTo("{\"host\":\"platform.claude.com\",\"path\":\"/v1/oauth/token?x=1\",\"body\":14}");
        assertThat(again.body()).contains("\"path\":\"/y\"");
        assertThat(proxy.connects()).contains("platform.claude.com:443");
        assertThat(proxy.exchanges()).filteredOn(x -> x.host().equals("platform.claude.com"))
            .extracting(MitmProxy.Exchange::toString)
            .containsSubsequence("POST https://platform.claude.com/v1/oauth/token",
                "GET https://platform.claude.com/y");
        assertThat(proxy.exchanges()).filteredOn(x -> x.path().equals("/v1/oauth/token")).first()
            .satisfies(x -> assertThat(x.body()).isEqualTo("{\"code\":\"abc\"}"));
    }

    @Test
    void answersPlainHttpRequestsThroughTheProxyToo() throws Exception {
        HttpResponse<String> r = client(SSLContext.getDefault()).send(HttpRequest.newBuilder(
            URI.create("http://registry.npmjs.org/some-package")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.body()).contains("\"host\":\"registry.npmjs.org\"", "\"path\":\"/some-package\"");
        assertThat(proxy.exchanges()).anySatisfy(x -> assertThat(x.tls()).isFalse());
    }

    @Test
    void aClientWithoutTheTestCaRefusesTheLeaf() throws Exception {
        int before = proxy.exchanges().size();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://oauth2.googleapis.com/token")).build();

        assertThatThrownBy(() -> client(SSLContext.getDefault()).send(request, HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(SSLHandshakeException.class);
        assertThat(proxy.connects()).contains("oauth2.googleapis.com:443");
        assertThat(proxy.exchanges()).hasSize(before);
    }

    private static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls)
            .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", URI.create(proxy.url()).getPort())))
            .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A client-side context that trusts only the test CA, as a CLI given {@code NODE_EXTRA_CA_CERTS} would. */
    static SSLContext trusting(TestCa ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("test-ca", ca.caCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}

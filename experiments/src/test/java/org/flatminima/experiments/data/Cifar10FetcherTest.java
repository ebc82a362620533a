package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Cifar10Fetcher} against a local HTTP server (the JDK's) and {@code file:} URLs; no internet needed. */
class Cifar10FetcherTest {

    static final int PER_FILE = 3;

    @TempDir
    Path tmp;

    HttpServer server;
    byte[] tarball;
    StringWriter log;

    @BeforeEach
    void serve() throws IOException {
        tarball = CifarFiles.tarball(PER_FILE);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/cifar-10-binary.tar.gz", ex -> {
            ex.sendResponseHeaders(200, tarball.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(tarball);
            }
        });
        server.createContext("/moved", ex -> {
            ex.getResponseHeaders().add("Location", url("/cifar-10-binary.tar.gz").toString());
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/cut", ex -> {
            // announces the whole tarball, sends a third of it, then the connection drops
            ex.sendResponseHeaders(200, tarball.length);
            OutputStream o = ex.getResponseBody();
            o.write(tarball, 0, tarball.length / 3);
            o.flush();
            ex.getHttpContext().getServer().stop(0);
        });
        server.start();
        log = new StringWriter();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    Cifar10Fetcher fetcher(URI url, String md5) {
        return new Cifar10Fetcher(new Cifar10Fetcher.Source(url, md5, PER_FILE), new PrintWriter(log, true));
    }

    /** Every path under {@code dir} (relative), sorted. */
    static List<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void fetchesVerifiesAndExtractsTheSixFilesThenReusesThem() throws IOException {
        Path target = tmp.resolve("cache/cifar-10");
        for (String path : List.of("/cifar-10-binary.tar.gz", "/moved")) {
            deleteTree(target);
            Cifar10Fetcher f = fetcher(url(path), CifarFiles.md5(tarball));
            assertThat(f.fetch(target)).isEqualTo(Cifar10Fetcher.Outcome.FETCHED);
            assertThat(tree(tmp.resolve("cache"))).containsExactly("cifar-10", "cifar-10/data_batch_1.bin",
                    "cifar-10/data_batch_2.bin", "cifar-10/data_batch_3.bin", "cifar-10/data_batch_4.bin",
                    "cifar-10/data_batch_5.bin", "cifar-10/test_batch.bin");
            for (Map.Entry<String, byte[]> e : CifarFiles.files(PER_FILE).entrySet()) {
                assertThat(Files.readAllBytes(target.resolve(e.getKey()))).isEqualTo(e.getValue());
            }
        }
        assertThat(log.toString()).contains("MD5 of the tarball " + CifarFiles.md5(tarball) + " verified");
        // a second fetch downloads nothing (the server is gone)
        server.stop(0);
        assertThat(fetcher(url("/cifar-10-binary.tar.gz"), "0").fetch(target))
                .isEqualTo(Cifar10Fetcher.Outcome.ALREADY_PRESENT);
        // and the data set is found in the cache
        DataSets sets = new DataSets(new DataSets.Locations(tmp.resolve("cache"), null, null));
        assertThat(sets.load("cifar10", DataSets.Split.TRAIN).size()).isEqualTo(5 * PER_FILE);
    }

    @Test
    void aWrongChecksumWritesNothingAndNamesCifarDir() throws IOException {
        Path cache = tmp.resolve("cache");
        assertThatThrownBy(() -> fetcher(url("/cifar-10-binary.tar.gz"), Cifar10Fetcher.OFFICIAL_MD5)
                .fetch(cache.resolve("cifar-10")))
                .isInstanceOf(UserException.class)
                .hasMessage("cifar-10-binary.tar.gz from " + url("/cifar-10-binary.tar.gz") + " has MD5 "
                        + CifarFiles.md5(tarball) + ", expected c32a1d4ab5d03f1284b67883e8d87530 (the published "
                        + "checksum of the binary version): a damaged or changed file; nothing was written to the "
                        + "cache; try again, or name a copy you trust with --cifar-dir");
        assertThat(tree(cache)).isEmpty();
    }

    @Test
    void aDownloadThatBreaksOffLeavesNothing() throws IOException {
        Path cache = tmp.resolve("cache");
        assertThatThrownBy(() -> fetcher(url("/cut"), CifarFiles.md5(tarball)).fetch(cache.resolve("cifar-10")))
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith("the download of " + url("/cut") + " broke off after ")
                .hasMessageEndingWith("nothing was written to the cache; run the command again, or give a copy "
                        + "with --cifar-dir")
                .hasMessageNotContaining("\n");
        assertThat(tree(cache)).isEmpty();
    }

    @Test
    void noServerIsOneLineSuggestingCifarDir() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port + "/cifar-10-binary.tar.gz");
        assertThatThrownBy(() -> fetcher(nowhere, "0").fetch(tmp.resolve("cache/cifar-10")))
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith("cannot reach 127.0.0.1 to download CIFAR-10 (")
                .hasMessageContaining("no network? Download cifar-10-binary.tar.gz on a machine that has one and "
                        + "give it with --cifar-dir FILE")
                .hasMessageNotContaining("\n");
        assertThat(tree(tmp.resolve("cache"))).isEmpty();
        assertThatThrownBy(() -> fetcher(url("/missing"), "0").fetch(tmp.resolve("cache/cifar-10")))
                .hasMessageStartingWith(url("/missing") + " answered HTTP 404: nothing was written to the cache");
        assertThat(tree(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void aLocalCopyByFileUrlReplacesAnIncompleteTargetAndStaleStagingGoes() throws IOException {
        Path copy = CifarFiles.writeTarball(tmp.resolve("downloads/cifar-10-binary.tar.gz"), PER_FILE);
        Path cache = tmp.resolve("cache");
        Path target = cache.resolve("cifar-10");
        Files.createDirectories(target);
        Files.write(target.resolve("data_batch_1.bin"), new byte[5]); // an incomplete earlier copy
        Path stale = Files.createDirectories(cache.resolve(Cifar10Fetcher.STAGING_PREFIX + "123"));
        Files.write(stale.resolve("cifar-10-binary.tar.gz"), new byte[10]);
        FileTime old = FileTime.from(Instant.now().minus(Cifar10Fetcher.STALE).minusSeconds(60));
        Files.setLastModifiedTime(stale.resolve("cifar-10-binary.tar.gz"), old);
        Files.setLastModifiedTime(stale, old);
        Path young = Files.createDirectories(cache.resolve(Cifar10Fetcher.STAGING_PREFIX + "456"));
        assertThat(fetcher(copy.toUri(), CifarFiles.md5(tarball)).fetch(target))
                .isEqualTo(Cifar10Fetcher.Outcome.FETCHED);
        assertThat(tree(target)).hasSize(6);
        assertThat(Files.readAllBytes(target.resolve("data_batch_1.bin")))
                .isEqualTo(CifarFiles.batch(0, PER_FILE));
        assertThat(stale).doesNotExist();
        assertThat(young).exists(); // may belong to a fetch in progress
        assertThatThrownBy(() -> fetcher(tmp.resolve("none.tar.gz").toUri(), "0").fetch(tmp.resolve("c2/cifar-10")))
                .isInstanceOf(UserException.class).hasMessageStartingWith(tmp.resolve("none.tar.gz").toUri()
                        + " does not exist");
        assertThat(tree(tmp.resolve("c2"))).isEmpty();
    }

    @Test
    void aTarballOfOtherSizesIsRefused() throws IOException {
        Path copy = CifarFiles.writeTarball(tmp.resolve("small.tar.gz"), PER_FILE - 1);
        byte[] b = Files.readAllBytes(copy);
        assertThatThrownBy(() -> fetcher(copy.toUri(), CifarFiles.md5(b)).fetch(tmp.resolve("cache/cifar-10")))
                .isInstanceOf(UserException.class)
                .hasMessage("cifar-10-batches-bin/data_batch_1.bin in cifar-10-binary.tar.gz is 6146 bytes, expected "
                        + "9219: nothing was written to the cache");
        assertThat(tree(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void theOfficialSourceIsTheAuthorsBinaryTarball() {
        Cifar10Fetcher.Source s = Cifar10Fetcher.Source.official();
        assertThat(s.url().toString()).isEqualTo("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
        assertThat(s.md5()).isEqualTo("c32a1d4ab5d03f1284b67883e8d87530");
        assertThat(s.recordsPerFile()).isEqualTo(10_000);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}

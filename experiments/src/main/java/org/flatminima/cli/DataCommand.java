package org.flatminima.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code flatminima data}: the data sets, where they are, and fetching the missing ones. */
@Command(name = "data",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Lists the data sets and fetches the missing ones.",
        description = {
                "Data sets: 'embedded' (10,000 + 2,000 MNIST images inside flatminima), 'mnist' (the full MNIST, "
                        + "fetched into the cache with 'data fetch mnist'), 'fashion-mnist' (the Debian package "
                        + "dataset-fashion-mnist, or --fashion-dir) and 'cifar-10' or 'cifar10' (binary version, "
                        + "fetched into the cache with 'data fetch cifar10', or a copy named with --cifar-dir).",
                "The cache is $FLATMINIMA_CACHE, else $XDG_CACHE_HOME/flatminima, else ~/.cache/flatminima.",
        },
        subcommands = {
                DataListCommand.class,
                DataFetchCommand.class,
        })
public final class DataCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Without a subcommand there is nothing to do: a user error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(),
                "missing subcommand: use 'data list' or 'data fetch mnist|cifar10'");
    }
}

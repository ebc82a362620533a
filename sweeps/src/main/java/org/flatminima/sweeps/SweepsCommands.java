package org.flatminima.sweeps;

import java.util.List;
import org.flatminima.cli.CommandProvider;

/** Adds {@code sweep} to the {@code flatminima} command line when this module is on the class path. */
public final class SweepsCommands implements CommandProvider {
    @Override
    public List<Object> commands() {
        return List.of(new SweepCommand());
    }
}

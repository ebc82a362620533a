package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce --seeds}: every experiment's configuration takes it, at both scales. */
class SeedsOverrideTest {
    @TempDir
    Path tmp;

    private Map<String, Object> configOf(Experiment e, Scale scale, Overrides o) {
        ReproduceContext ctx = new ReproduceContext(tmp, 0, scale,
                new DataSets(DataSets.Locations.fromEnvironment()), DType.F64, Progress.NONE).withOverrides(o);
        Reproduction.applyDataOverride(List.of(e), ctx);
        return Reproduction.config(e, ctx);
    }

    @Test
    void everyExperimentTrainsTheGivenNumberOfSeedsAtBothScales() {
        for (Scale scale : Scale.values()) {
            for (Experiment e : Reproduction.select(List.of())) {
                Map<String, Object> own = configOf(e, scale, Overrides.NONE);
                Map<String, Object> seven = configOf(e, scale, Overrides.NONE.withSeeds(7));
                assertThat(own.get("seeds")).as("%s %s", e.id(), scale).isNotEqualTo(7);
                assertThat(seven.get("seeds")).as("%s %s", e.id(), scale).isEqualTo(7);
                // nothing else changes
                own.remove("seeds");
                seven.remove("seeds");
                assertThat(seven).as("%s %s", e.id(), scale).isEqualTo(own);
            }
        }
    }

    @Test
    void oneSeedOfE1E4E5IsRecordedAsBeforeTheyHadSeeds() {
        for (Experiment e : Reproduction.select(List.of("E1", "E4", "E5"))) {
            assertThat(configOf(e, Scale.QUICK, Overrides.NONE.withSeeds(1))).as(e.id()).doesNotContainKey("seeds");
        }
        assertThat(configOf(new E3BatchSize(), Scale.QUICK, Overrides.NONE.withSeeds(1))).containsEntry("seeds", 1);
        assertThatThrownBy(() -> Overrides.NONE.withSeeds(-1)).isInstanceOf(UserException.class)
                .hasMessage("--seeds -1 is negative: give a number of seeds >= 1");
    }
}

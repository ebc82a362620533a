package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The CPU facts behind the GEMM routes: reading /proc/cpuinfo's fields and which CPUs run 512 bits in halves. */
class CpuInfoTest {

    @Test
    void onlyZen4RunsWideVectorsInHalves() {
        assertThat(new CpuInfo("AuthenticAMD", 0x19, 512).halvesWideVectors()).as("Zen 4").isTrue();
        assertThat(new CpuInfo("AuthenticAMD", 0x19, 256).halvesWideVectors()).as("Zen 3").isFalse();
        assertThat(new CpuInfo("AuthenticAMD", 0x1A, 512).halvesWideVectors()).as("Zen 5").isFalse();
        assertThat(new CpuInfo("GenuineIntel", 6, 512).halvesWideVectors()).as("Intel").isFalse();
        assertThat(new CpuInfo("GenuineIntel", 0x19, 512).halvesWideVectors()).isFalse();
        assertThat(new CpuInfo(null, -1, 512).halvesWideVectors()).as("unknown").isFalse();
    }

    @Test
    void fullWidthWideVectorsAreThoseOfZen5AndLater() {
        assertThat(new CpuInfo("AuthenticAMD", 0x1A, 512).fullWidthWideVectorsMeasured()).as("Zen 5").isTrue();
        assertThat(new CpuInfo("AuthenticAMD", 0x1B, 512).fullWidthWideVectorsMeasured()).as("later").isTrue();
        assertThat(new CpuInfo("AuthenticAMD", 0x1A, 256).fullWidthWideVectorsMeasured()).as("256 bits").isFalse();
        assertThat(new CpuInfo("AuthenticAMD", 0x19, 512).fullWidthWideVectorsMeasured()).as("Zen 4").isFalse();
        assertThat(new CpuInfo("GenuineIntel", 6, 512).fullWidthWideVectorsMeasured()).as("not measured").isFalse();
        assertThat(new CpuInfo(null, -1, 512).fullWidthWideVectorsMeasured()).as("unknown").isFalse();
    }

    @Test
    void readsAFieldByItsWholeKey() {
        List<String> lines = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25",
                "model\t\t: 17", "model name\t: AMD EPYC", "cpu family\t: 26");
        assertThat(CpuInfo.field(lines, "cpu family")).isEqualTo("25");
        assertThat(CpuInfo.field(lines, "model")).as("not 'model name'").isEqualTo("17");
        assertThat(CpuInfo.field(lines, "vendor_id")).isEqualTo("AuthenticAMD");
        assertThat(CpuInfo.field(lines, "stepping")).isNull();
        assertThat(CpuInfo.field(List.of("no colon here"), "no colon here")).isNull();
    }

    @Test
    void thisMachinesFactsAreRead() {
        CpuInfo here = CpuInfo.here();
        assertThat(here.vendor()).isNotBlank();
        assertThat(here.family()).isPositive();
        assertThat(here.vectorBits()).isIn(128, 256, 512);
    }
}

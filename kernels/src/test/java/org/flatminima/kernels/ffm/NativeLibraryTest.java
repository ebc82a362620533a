package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {

    /** An AMD Zen 4 flags line as Linux prints it (abridged but with every flag that matters). */
    private static final String ZEN4 = "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            + "sse sse2 ht syscall nx lm pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx "
            + "f16c rdrand abm sse4a bmi1 avx2 bmi2 avx512f";
    /** Sandy Bridge: AVX but no AVX2, FMA, BMI. */
    private static final String SANDY_BRIDGE = "flags : fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt xsave avx";

    @Test
    void avx2MachineGetsV3ThenBaseline() {
        assertThat(NativeLibrary.flavours("Linux", "amd64", ZEN4))
                .containsExactly(NativeLibrary.V3, NativeLibrary.BASELINE);
        assertThat(NativeLibrary.flavours("Linux", "x86_64", ZEN4.substring(ZEN4.indexOf(':') + 1)))
                .containsExactly(NativeLibrary.V3, NativeLibrary.BASELINE);
    }

    @Test
    void missingAnyV3FlagMeansBaseline() {
        assertThat(NativeLibrary.flavours("Linux", "amd64", SANDY_BRIDGE)).containsExactly(NativeLibrary.BASELINE);
        for (String flag : NativeLibrary.V3_FLAGS) {
            String without = (" " + ZEN4.substring(ZEN4.indexOf(':') + 1) + " ").replace(" " + flag + " ", " ");
            assertThat(NativeLibrary.flavours("Linux", "amd64", without))
                    .as("without %s", flag).containsExactly(NativeLibrary.BASELINE);
        }
        // "avx" must not be matched as a substring of "avx2" or "avx512f"
        String noPlainAvx = (" " + ZEN4 + " ").replace(" avx ", " ");
        assertThat(NativeLibrary.flavours("Linux", "amd64", noPlainAvx)).containsExactly(NativeLibrary.BASELINE);
    }

    @Test
    void lzcntFlagCountsAsAbm() {
        String lz = ZEN4.replace(" abm ", " lzcnt ");
        assertThat(NativeLibrary.flavours("Linux", "amd64", lz)).first().isEqualTo(NativeLibrary.V3);
    }

    @Test
    void noFlagsOrOtherPlatformsMeanBaselineOrNothing() {
        assertThat(NativeLibrary.flavours("Linux", "amd64", null)).containsExactly(NativeLibrary.BASELINE);
        assertThat(NativeLibrary.flavours("Linux", "aarch64", ZEN4)).isEmpty();
        assertThat(NativeLibrary.flavours("Mac OS X", "x86_64", ZEN4)).isEmpty();
        assertThat(NativeLibrary.flavours("Windows 11", "amd64", ZEN4)).isEmpty();
    }

    @Test
    void abiCheck() {
        assertThat(NativeLibrary.abiMismatch(NativeLibrary.ABI_VERSION)).isNull();
        assertThat(NativeLibrary.abiMismatch(NativeLibrary.ABI_VERSION + 1))
                .contains("ABI version " + (NativeLibrary.ABI_VERSION + 1))
                .contains("rebuild");
    }

    @Test
    void builtLibraryReportsTheJavaAbiVersion() throws Throwable {
        NativeLibrary.Result r = NativeLibrary.load();
        boolean resourcePresent = getClass().getClassLoader()
                .getResource(NativeLibrary.resourceFor(NativeLibrary.BASELINE)) != null;
        if (!resourcePresent) {
            assertThat(r.library()).isNull();
            assertThat(r.reason()).isNotBlank();
            return;
        }
        assertThat(r.reason()).isNull();
        MethodHandle abi = Linker.nativeLinker().downcallHandle(
                r.library().lookup().find("fm_abi_version").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertThat((int) abi.invokeExact()).isEqualTo(NativeLibrary.ABI_VERSION);
        assertThat(r.library().flavour()).isEqualTo(
                NativeLibrary.flavours(System.getProperty("os.name"), System.getProperty("os.arch"),
                        NativeLibrary.cpuFlags()).getFirst());
    }

    /** The copy that is mapped is deleted at once, so a JVM killed later leaves nothing in the directory. */
    @Test
    void leavesNoCopyBehindOnceLoadedOrRefused(@TempDir Path dir) throws Throwable {
        assumeTrue(getClass().getClassLoader().getResource(NativeLibrary.resourceFor(NativeLibrary.V3)) != null,
                "library not built");
        NativeLibrary.Result r = NativeLibrary.load(List.of(NativeLibrary.V3, NativeLibrary.BASELINE), dir);
        NativeLibrary.Result none = NativeLibrary.load(List.of("no-such-flavour"), dir);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
        assertThat(none.library()).isNull();
        if (r.library() == null) { // a CPU without AVX2 refuses V3: the baseline then loads, or both are refused
            assertThat(r.reason()).isNotBlank();
            return;
        }
        MethodHandle abi = Linker.nativeLinker().downcallHandle(
                r.library().lookup().find("fm_abi_version").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertThat((int) abi.invokeExact()).as("runs after its file is gone").isEqualTo(NativeLibrary.ABI_VERSION);
    }

    @Test
    void baselineFlavourLoadsAndRunsWhenPresent() throws Throwable {
        assumeTrue(getClass().getClassLoader().getResource(NativeLibrary.resourceFor(NativeLibrary.BASELINE)) != null,
                "baseline library not built");
        NativeLibrary.Result r = NativeLibrary.load(java.util.List.of(NativeLibrary.BASELINE));
        assertThat(r.reason()).isNull();
        assertThat(r.library().flavour()).isEqualTo(NativeLibrary.BASELINE);
        MethodHandle fill = Linker.nativeLinker().downcallHandle(r.library().lookup().find("fm_fill_f64").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var y = arena.allocate(ValueLayout.JAVA_DOUBLE, 5);
            fill.invokeExact(5L, 2.5, y);
            assertThat(y.toArray(ValueLayout.JAVA_DOUBLE)).containsOnly(2.5);
        }
    }

    @Test
    void unknownFlavourGivesAReasonNotAnException() {
        NativeLibrary.Result r = NativeLibrary.load(java.util.List.of("no-such-flavour"));
        assertThat(r.library()).isNull();
        assertThat(r.reason()).contains("no-such-flavour").contains("not on the class path");
    }
}

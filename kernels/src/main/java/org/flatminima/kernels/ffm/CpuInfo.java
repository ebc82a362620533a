package org.flatminima.kernels.ffm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.kernels.vector.VectorBackend;

/**
 * What the choices of {@link GemmRoutes} need to know of the CPU beyond its flags: its vendor and family (from
 * {@code /proc/cpuinfo}) and the widest vectors the JVM runs on it.
 *
 * @param vendor the {@code vendor_id} ("GenuineIntel", "AuthenticAMD"), or null where unknown
 * @param family the {@code cpu family} (25 = 0x19: AMD's Zen 3 and Zen 4; 26 = 0x1A: Zen 5), or -1 where unknown
 * @param vectorBits the Vector API's preferred width here ({@link VectorBackend#preferredVectorBits()}), 0 where the
 *                   vector backend is unavailable
 */
record CpuInfo(String vendor, int family, int vectorBits) {

    /** AMD's family 0x19: Zen 3 (AVX2) and Zen 4 (AVX-512 on 256-bit units). */
    static final int AMD_ZEN3_ZEN4_FAMILY = 0x19;

    private static final CpuInfo HERE = read();

    /** This machine's. */
    static CpuInfo here() {
        return HERE;
    }

    /**
     * Whether the CPU runs 512-bit vectors as two halves on 256-bit units, so that AVX-512 code does no more
     * arithmetic per cycle than AVX2 code: AMD's Zen 4 (family 0x19 with 512-bit vectors; Zen 5, family 0x1A, has
     * 512-bit units on its server parts). There our packed AVX2 GEMM runs W2's, M4's and W1's products about as fast
     * as OpenBLAS's AVX-512 kernels or faster (docs/PERFORMANCE.md, "AMD Zen 4: the packed GEMM before OpenBLAS's
     * AVX-512 kernels").
     */
    boolean halvesWideVectors() {
        return vectorBits >= 512 && "AuthenticAMD".equals(vendor) && family == AMD_ZEN3_ZEN4_FAMILY;
    }

    /**
     * Whether the CPU runs 512-bit vectors on full-width units: AMD's family 0x1A (Zen 5) and later with 512-bit
     * vectors. There the packed GEMM's 512-bit build ran W2's products faster than OpenBLAS's AVX-512 kernels
     * (docs/PERFORMANCE.md, "AMD Zen 5: OpenBLAS's own choice of kernels"). Intel's AVX-512 CPUs are full width too,
     * but the build is not measured there, so they are not included.
     */
    boolean fullWidthWideVectorsMeasured() {
        return vectorBits >= 512 && "AuthenticAMD".equals(vendor) && family >= AMD_ZEN5_FAMILY;
    }

    /** AMD's family 0x1A: Zen 5. */
    static final int AMD_ZEN5_FAMILY = 0x1A;

    private static CpuInfo read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            lines = List.of();
        }
        return new CpuInfo(field(lines, "vendor_id"), parseFamily(field(lines, "cpu family")), vectorBitsHere());
    }

    /** The Vector API's preferred width, 0 where its module is not in the JVM. */
    private static int vectorBitsHere() {
        try {
            return VectorBackend.preferredVectorBits();
        } catch (LinkageError e) {
            return 0;
        }
    }

    /** The value of the first {@code /proc/cpuinfo} line whose key is {@code key}, or null. */
    static String field(List<String> cpuinfo, String key) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static int parseFamily(String s) {
        try {
            return s == null ? -1 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

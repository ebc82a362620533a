package org.flatminima.experiments.reproduce.doc;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * The number formats of the generated tables, in one place. Rounding is half-up on the decimal value that
 * {@link Double#toString} prints (the shortest that reads back as the same double), so a number is rounded as a
 * reader of the CSV file would round it by hand, not as its binary value happens to fall.
 */
final class NumberFormats {
    /** Below this magnitude a value is float64 round-off of quantities of order 1 to 100, shown with 2 digits. */
    static final double ROUND_OFF = 1e-12;

    private NumberFormats() {
    }

    /**
     * {@code v} with {@code digits} significant digits: plain notation (trailing zeros dropped) for magnitudes in
     * [0.01, 1e6), otherwise {@code d.ddde-XX}; magnitudes below {@link #ROUND_OFF} get 2 significant digits; 0 is
     * {@code 0}; NaN and infinities as Java prints them.
     */
    static String significant(double v, int digits) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : Double.toString(v);
        }
        double a = Math.abs(v);
        if (a < ROUND_OFF) {
            return scientific(v, 2);
        }
        if (a >= 1e-2 && a < 1e6) {
            BigDecimal d = new BigDecimal(Double.toString(v)).round(new MathContext(digits, RoundingMode.HALF_UP));
            return strip(d.toPlainString());
        }
        return scientific(v, digits);
    }

    /** {@code v} as {@code d.de-XX} with {@code digits} significant digits (two-digit exponent at least); 0 is "0". */
    static String scientific(double v, int digits) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : Double.toString(v);
        }
        BigDecimal d = new BigDecimal(Double.toString(v)).round(new MathContext(digits, RoundingMode.HALF_UP));
        int exponent = d.precision() - d.scale() - 1;
        BigDecimal mantissa = d.movePointLeft(exponent).setScale(digits - 1, RoundingMode.HALF_UP);
        return String.format(Locale.ROOT, "%se%s%02d", mantissa.toPlainString(), exponent < 0 ? "-" : "+",
                Math.abs(exponent));
    }

    /** {@code v} with exactly {@code decimals} decimals (half-up on the printed decimal value). */
    static String fixed(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        String s = new BigDecimal(Double.toString(v)).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
        return s.matches("-0\\.?0*") ? s.substring(1) : s;
    }

    /**
     * A hyperparameter as written in a spec: integers without a decimal point ({@code 256}), small values as
     * {@code 5e-4}, others in their shortest decimal form ({@code 0.12}).
     */
    static String compact(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (Math.abs(v) < 1e-3) {
            BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
            int exponent = d.precision() - d.scale() - 1;
            return strip(d.movePointLeft(exponent).toPlainString()) + "e" + exponent;
        }
        return strip(new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString());
    }

    /** A scale factor: {@code 1/k} for 1/k with integer k > 1, otherwise {@link #compact}. */
    static String fraction(double v) {
        if (v > 0 && v < 1) {
            double k = 1 / v;
            if (k == Math.rint(k)) {
                return "1/" + (long) k;
            }
        }
        return compact(v);
    }

    /** An integer count with thousands separators: {@code 2,000}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String strip(String s) {
        return s.contains(".") ? s.replaceFirst("0+$", "").replaceFirst("\\.$", "") : s;
    }
}

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

    /**
     * "mean ± sd" with both at {@code decimals} decimals ({@link #fixed}), negative values with the typographic minus
     * (U+2212); only the mean when {@code sd} is NaN (one seed); "–" when the mean is NaN.
     */
    static String meanSd(double mean, double sd, int decimals) {
        if (Double.isNaN(mean)) {
            return "–";
        }
        String m = minus(fixed(mean, decimals));
        return Double.isNaN(sd) ? m : m + " ± " + minus(fixed(sd, decimals));
    }

    /**
     * "mean ± sd" with the mean rounded to {@code digits} significant digits and the standard deviation to the same
     * decimal place (at least 0 decimals), so quantities of any magnitude keep their precision: 3.5336 and 0.8935 with
     * 2 digits are "3.5 ± 0.9", 4.676e-4 and 2.83e-4 are "0.00047 ± 0.00028". A mean of 0 gets {@code digits}
     * decimals; a mean below 1e-4 in magnitude is written in e-notation, mean and sd each with {@code digits}
     * significant digits (8.65e-08 ± 1.52e-07). Otherwise as {@link #meanSd(double, double, int)}.
     */
    static String meanSdSignificant(double mean, double sd, int digits) {
        if (!Double.isFinite(mean)) {
            return meanSd(mean, sd, 0);
        }
        if (mean != 0 && Math.abs(mean) < 1e-4) { // plain decimals would need five or more zeros: 8.65e-08 ± 1.52e-07
            return minus(scientific(mean, digits)) + (Double.isFinite(sd) ? " ± " + scientific(sd, digits) : "");
        }
        int decimals = mean == 0 ? digits : Math.max(0, new BigDecimal(Double.toString(mean))
                .round(new MathContext(digits, RoundingMode.HALF_UP)).scale());
        return meanSd(mean, sd, decimals);
    }

    /** A fraction as a percentage without trailing zeros: 0.75 is "75%", 0.125 is "12.5%" (exact decimal shift). */
    static String percent(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return strip(new BigDecimal(Double.toString(v)).movePointRight(2).toPlainString()) + "%";
    }

    /** {@code s} with a leading hyphen-minus replaced by the typographic minus sign (U+2212), as the prose writes it. */
    static String minus(String s) {
        return s.startsWith("-") ? "\u2212" + s.substring(1) : s;
    }

    private static String strip(String s) {
        return s.contains(".") ? s.replaceFirst("0+$", "").replaceFirst("\\.$", "") : s;
    }
}

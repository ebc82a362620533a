package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The tables' number formats, against strings written by hand. */
class NumberFormatsTest {

    @Test
    void significantDigitsPlainInTheMiddleRangeScientificOutside() {
        assertThat(NumberFormats.significant(79.36981234, 6)).isEqualTo("79.3698");
        assertThat(NumberFormats.significant(36.1500001, 5)).isEqualTo("36.15");
        assertThat(NumberFormats.significant(1.0, 5)).isEqualTo("1");
        assertThat(NumberFormats.significant(0.0575, 4)).isEqualTo("0.0575");
        assertThat(NumberFormats.significant(-0.58671234, 5)).isEqualTo("-0.58671");
        assertThat(NumberFormats.significant(0.0023718912, 5)).isEqualTo("2.3719e-03");
        assertThat(NumberFormats.significant(0.076156, 5)).isEqualTo("0.076156");
        assertThat(NumberFormats.significant(0.0099995, 3)).isEqualTo("1.00e-02");
        assertThat(NumberFormats.significant(1234567.0, 3)).isEqualTo("1.23e+06");
        assertThat(NumberFormats.significant(0.0, 5)).isEqualTo("0");
        assertThat(NumberFormats.significant(Double.NaN, 5)).isEqualTo("NaN");
        // below 1e-12: float64 round-off, two digits whatever was asked
        assertThat(NumberFormats.significant(1.93456e-15, 5)).isEqualTo("1.9e-15");
        assertThat(NumberFormats.significant(3.13862e-7, 5)).isEqualTo("3.1386e-07");
    }

    @Test
    void roundingIsHalfUpOnThePrintedDecimal() {
        // 0.125 and 2.675 print as such; half-up on the decimal gives 0.13 and 2.68 (binary 2.675 is below it)
        assertThat(NumberFormats.fixed(0.125, 2)).isEqualTo("0.13");
        assertThat(NumberFormats.fixed(2.675, 2)).isEqualTo("2.68");
        assertThat(NumberFormats.significant(2.675, 3)).isEqualTo("2.68");
        assertThat(NumberFormats.scientific(7.65e-16, 2)).isEqualTo("7.7e-16");
    }

    @Test
    void fixedDecimalsAndNoNegativeZero() {
        assertThat(NumberFormats.fixed(96.07, 1)).isEqualTo("96.1");
        assertThat(NumberFormats.fixed(108.04, 1)).isEqualTo("108.0");
        assertThat(NumberFormats.fixed(-0.00049, 4)).isEqualTo("-0.0005");
        assertThat(NumberFormats.fixed(-0.00004, 4)).isEqualTo("0.0000");
        assertThat(NumberFormats.fixed(-0.8913043478260869, 3)).isEqualTo("-0.891");
    }

    @Test
    void scientificWithTwoDigitExponentsAndZeroAsZero() {
        assertThat(NumberFormats.scientific(2.1e-15, 2)).isEqualTo("2.1e-15");
        assertThat(NumberFormats.scientific(3.0e-11, 2)).isEqualTo("3.0e-11");
        assertThat(NumberFormats.scientific(0.0, 2)).isEqualTo("0");
        assertThat(NumberFormats.scientific(9.96e-16, 2)).isEqualTo("1.0e-15");
    }

    @Test
    void hyperparametersFractionsAndCounts() {
        assertThat(NumberFormats.compact(256)).isEqualTo("256");
        assertThat(NumberFormats.compact(0.12)).isEqualTo("0.12");
        assertThat(NumberFormats.compact(0.0005)).isEqualTo("5e-4");
        assertThat(NumberFormats.compact(0.00025)).isEqualTo("2.5e-4");
        assertThat(NumberFormats.compact(0)).isEqualTo("0");
        assertThat(NumberFormats.fraction(0.25)).isEqualTo("1/4");
        assertThat(NumberFormats.fraction(0.125)).isEqualTo("1/8");
        assertThat(NumberFormats.fraction(0.4)).isEqualTo("0.4");
        assertThat(NumberFormats.fraction(32)).isEqualTo("32");
        assertThat(NumberFormats.count(60000)).isEqualTo("60,000");
        assertThat(NumberFormats.count(50)).isEqualTo("50");
    }

    @Test
    void meanAndSdAtFixedDecimalsWithTheTypographicMinus() {
        assertThat(NumberFormats.meanSd(0.7323101, 0.0038290, 3)).isEqualTo("0.732 ± 0.004");
        assertThat(NumberFormats.meanSd(-0.6430952, 3.666e-4, 3)).isEqualTo("\u2212" + "0.643 ± 0.000");
        assertThat(NumberFormats.meanSd(0.9, Double.NaN, 3)).isEqualTo("0.900");
        assertThat(NumberFormats.meanSd(Double.NaN, Double.NaN, 3)).isEqualTo("–");
    }

    @Test
    void meanToSignificantDigitsAndTheSdToTheSameDecimalPlace() {
        assertThat(NumberFormats.meanSdSignificant(3.533594963502444, 0.8934711244404417, 3)).isEqualTo("3.53 ± 0.89");
        assertThat(NumberFormats.meanSdSignificant(3.533594963502444, 0.8934711244404417, 2)).isEqualTo("3.5 ± 0.9");
        assertThat(NumberFormats.meanSdSignificant(4.6759348475534414E-4, 2.8257682674731735E-4, 3))
                .isEqualTo("0.000468 ± 0.000283");
        assertThat(NumberFormats.meanSdSignificant(23.340751823420394, 0.6485540758081864, 3)).isEqualTo("23.3 ± 0.6");
        assertThat(NumberFormats.meanSdSignificant(71.7631742779648, 2.009026021943981, 3)).isEqualTo("71.8 ± 2.0");
        // below 1e-4 in magnitude: e-notation for both (the full-scale E3 table's collapsed control)
        assertThat(NumberFormats.meanSdSignificant(8.6485e-8, 1.5193e-7, 3)).isEqualTo("8.65e-08 ± 1.52e-07");
        assertThat(NumberFormats.meanSdSignificant(-2.34e-9, 1.0e-9, 3)).isEqualTo("\u22122.34e-09 ± 1.00e-09");
        assertThat(NumberFormats.meanSdSignificant(1.07e-4, 8.9e-5, 3)).isEqualTo("0.000107 ± 0.000089");
        assertThat(NumberFormats.meanSdSignificant(-0.03455425426363945, 0.027527861125034157, 3))
                .isEqualTo("\u2212" + "0.0346 ± 0.0275");
        assertThat(NumberFormats.meanSdSignificant(12345.6, 12.0, 3)).isEqualTo("12346 ± 12");
        assertThat(NumberFormats.meanSdSignificant(0.0, 0.01, 3)).isEqualTo("0.000 ± 0.010");
    }

    @Test
    void percentagesByAnExactDecimalShift() {
        assertThat(NumberFormats.percent(0.75)).isEqualTo("75%");
        assertThat(NumberFormats.percent(0.05)).isEqualTo("5%"); // 0.05 * 100 is 5.000000000000001 in binary
        assertThat(NumberFormats.percent(0.125)).isEqualTo("12.5%");
        assertThat(NumberFormats.percent(1.0)).isEqualTo("100%");
        assertThat(NumberFormats.percent(0.0)).isEqualTo("0%");
    }
}

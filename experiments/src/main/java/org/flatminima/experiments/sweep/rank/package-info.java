/**
 * Ranking a sweep's flatness and margin measures by how well they order its networks' generalisation, and the
 * sweep's report (issue 14, items 2 and 5). Pure Java: reads {@code DIR/table.csv} by its header names
 * ({@link org.flatminima.experiments.sweep.rank.TableCsv}), so it depends on the sweep table's columns, not on the
 * class that writes them.
 *
 * <p>Entry points: {@link org.flatminima.experiments.sweep.rank.SweepReport#rankSweep} (read, rank, write
 * {@code rank.csv}, {@code rank.md}, {@code report.md}, {@code report.html}, {@code plots/}), which
 * {@link org.flatminima.experiments.sweep.rank.RankCommand} ({@code flatminima rank DIR}) calls;
 * {@link org.flatminima.experiments.sweep.rank.MeasureRanking#of} for the numbers alone.
 *
 * <p>The choices, and why:
 * <ul>
 *   <li><b>Networks.</b> One per run whose status is {@code finished}, at its last checkpoint (or at a given step).
 *       Diverged runs are left out and counted: their measures at the NaN step are empty, and their earlier
 *       checkpoints are not comparable with finished networks.</li>
 *   <li><b>Tau.</b> Kendall's tau-b ({@link org.flatminima.experiments.measures.Correlation#kendallTauB}, ties
 *       corrected: sweeps have many tied gaps on small test sets) between the measure and the target across the
 *       networks with a finite value of both; the interval is the percentile bootstrap of
 *       {@link org.flatminima.experiments.measures.Correlation#bootstrap}, resampling networks (runs) with
 *       replacement, the same seed for every measure.</li>
 *   <li><b>Seeds are replicates, not a hyperparameter</b>: they never form an axis of the granulated coefficient.
 *       By default ({@link org.flatminima.experiments.sweep.rank.RankOptions.Seeds#PAIRED}) the seed is one of the
 *       fixed "other" values, so a group holds networks that differ only in the axis' value and share the
 *       initialisation and the order of the data: the comparison Jiang et al. intend, with each network used as
 *       trained. {@link org.flatminima.experiments.sweep.rank.RankOptions.Seeds#MEAN} averages the measure and the
 *       target over each configuration's seeds first: less noise per point, but fewer points and a statistic of
 *       means.</li>
 *   <li><b>Granulated coefficient</b> ({@link org.flatminima.experiments.sweep.rank.Granulated}): the groups present
 *       in the sweep, tau-b per group, undefined groups left out and counted; interval by resampling groups.</li>
 *   <li><b>Expected sign and verdict.</b> Sharpness and norm measures should have tau > 0 with a gap, margins
 *       tau < 0 (the paper's recommendation); the verdict says whether the whole interval has that sign.</li>
 *   <li><b>Order.</b> Tables are sorted by |tau|, largest first, so the strongest relations lead whatever their
 *       sign; the verdict column tells whether the sign is the expected one.</li>
 * </ul>
 */
package org.flatminima.experiments.sweep.rank;

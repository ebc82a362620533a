package org.flatminima.experiments.analysis;

import java.util.List;

/**
 * Runs the shards of a distributed {@code flatminima analyze} somewhere else than one after the other in this
 * process: the {@code sweeps} module provides one on Apache Spark (found with {@link java.util.ServiceLoader}), so
 * the core does not depend on Spark.
 */
public interface ShardScheduler {
    /**
     * The shards of {@code n} points, {@link PointTask#analyze} on each of {@link Analysis#shardRanges}
     * {@code (n, shards)}, in point order.
     *
     * @param master where to run (a Spark master URL), or null for an embedded scheduler on this machine
     * @param shards how many shards; 1 lets the scheduler choose (one per task slot)
     */
    List<Analysis.Shard> run(PointTask task, int n, int shards, String master);
}

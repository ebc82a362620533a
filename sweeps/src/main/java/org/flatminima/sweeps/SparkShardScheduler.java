package org.flatminima.sweeps;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.flatminima.experiments.analysis.Analysis;
import org.flatminima.experiments.analysis.PointTask;
import org.flatminima.experiments.analysis.ShardScheduler;

/**
 * The shards of a distributed {@code flatminima analyze} as Spark tasks, one per shard: each reads its own points
 * and loads the weights once ({@link PointTask}); the driver gets the shards back in point order. Embedded (no
 * master): {@code local[S,4]} with S = min(shards, cores) slots. The tasks keep the backend's thread count: kernels
 * split their work by it, so another count would change the last bits of the per-point values.
 */
public final class SparkShardScheduler implements ShardScheduler {

    @Override
    public List<Analysis.Shard> run(PointTask task, int n, int shards, String master) {
        int cores = Runtime.getRuntime().availableProcessors();
        String m = master;
        if (m == null) {
            int slots = Math.max(1, Math.min(shards, cores));
            m = "local[" + slots + "," + SparkEnv.EMBEDDED_ATTEMPTS + "]";
        }
        SparkSession spark = SparkEnv.start(m, "flatminima analyze", 1);
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int s = shards > 1 ? shards : jsc.defaultParallelism();
            List<Analysis.Range> ranges = Analysis.shardRanges(n, s);
            return jsc.parallelize(ranges, ranges.size()).map(task::analyze).collect();
        } finally {
            spark.stop();
        }
    }
}

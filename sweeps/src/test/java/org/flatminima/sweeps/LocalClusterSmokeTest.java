package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.flatminima.engine.Engine;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.junit.jupiter.api.Test;

class LocalClusterSmokeTest {
    @Test
    void executorsInTheirOwnJvmsRunTheNativeBackendOnTheData() throws Exception {
        LocalCluster.sparkHome();
        SparkSession spark = SparkSession.builder().config(new SparkConf().setMaster("local-cluster[2,1,1024]")
                .setAppName("t").set("spark.ui.enabled", "false")
                .set("spark.executor.extraClassPath", LocalCluster.executorClassPath())
                .set("spark.executor.extraJavaOptions", SparkEnv.EXECUTOR_JVM_FLAGS)).getOrCreate();
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<String> got = jsc.parallelize(List.of(0, 1), 2).map(i -> {
                Dataset d = DataSets.embedded(DataSets.Split.TRAIN, 100);
                return ProcessHandle.current().pid() + " " + Engine.backend().name() + " " + d.size();
            }).collect();
            long me = ProcessHandle.current().pid();
            for (String g : got) {
                String[] f = g.split(" ");
                assertThat(Long.parseLong(f[0])).isNotEqualTo(me);
                assertThat(f[1]).isEqualTo("native");
                assertThat(f[2]).isEqualTo("100");
            }
        } finally {
            spark.stop();
        }
    }
}

package org.flatminima.sweeps;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.flatminima.experiments.UserException;

/**
 * How flatminima starts Spark: an embedded {@code local[N,F]} master by default (N task slots, F attempts per task,
 * so a failed task is retried), or the master a user names ({@code spark://host:port}, {@code yarn},
 * {@code k8s://...}, {@code local-cluster[...]}). Spark's web UI and console progress are off (flatminima prints
 * its own progress), and the driver binds to the loopback interface when everything runs on this machine.
 */
public final class SparkEnv {
    /** Attempts per task of the embedded master: a task that fails is retried this many times minus one. */
    public static final int EMBEDDED_ATTEMPTS = 4;

    /** The JVM options every executor needs: the Vector API module and FFM downcalls (the native backend). */
    public static final String EXECUTOR_JVM_FLAGS = "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    /**
     * The system property naming the jar of flatminima without Spark ({@code ./flatminima} sets it); a cluster's
     * executors fetch it from the driver ({@code spark.jars}) unless the job was submitted with its own jar.
     */
    public static final String SUBMIT_JAR = "flatminima.submitJar";

    private SparkEnv() {
    }

    /** True for masters whose executors run on this machine (embedded or local-cluster). */
    public static boolean isLocal(String master) {
        return master.startsWith("local");
    }

    /**
     * The embedded master for runs of {@code threadsPerRun} compute threads on a machine of {@code cores} cores:
     * {@code local[N,4]} with N = max(1, cores / threadsPerRun) runs at once.
     */
    public static String embeddedMaster(int cores, int threadsPerRun) {
        return "local[" + Math.max(1, cores / Math.max(1, threadsPerRun)) + "," + EMBEDDED_ATTEMPTS + "]";
    }

    /**
     * Refuses a {@code spark://} master that does not answer within a few seconds, with one line (Spark itself
     * would retry for about a minute and then fail with a stack trace). Other masters are left to Spark.
     */
    public static void requireReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI uri = URI.create("spark://" + hostPort);
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new UserException("--master " + master + " is not spark://HOST:PORT: e.g. spark://node1:7077");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 3000);
                return; // one live master of a high-availability list is enough
            } catch (IOException e) {
                if (!master.contains(",")) {
                    throw new UserException("cannot reach the Spark master " + master + " (" + e.getMessage()
                            + "): start it (sbin/start-master.sh), check the address, or drop --master to run embedded");
                }
            }
        }
        throw new UserException("none of the Spark masters in " + master + " answers: start one, check the addresses, "
                + "or drop --master to run embedded");
    }

    /**
     * Starts (or joins) a Spark session on {@code master} for tasks of {@code threadsPerTask} compute threads.
     * On a cluster each task asks for that many cores ({@code spark.task.cpus}).
     */
    public static SparkSession start(String master, String appName, int threadsPerTask) {
        requireReachable(master);
        SparkConf conf = new SparkConf().setMaster(master).setAppName(appName)
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.sql.shuffle.partitions", "4")
                .set("spark.task.maxFailures", String.valueOf(EMBEDDED_ATTEMPTS));
        String extra = conf.get("spark.executor.extraJavaOptions", "");
        if (!extra.contains("jdk.incubator.vector")) {
            conf.set("spark.executor.extraJavaOptions", (extra + " " + EXECUTOR_JVM_FLAGS).strip());
        }
        if (isLocal(master)) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        } else {
            conf.set("spark.task.cpus", String.valueOf(threadsPerTask));
            String jar = System.getProperty(SUBMIT_JAR);
            if (!conf.contains("spark.jars") && jar != null) {
                conf.set("spark.jars", jar); // the executors load flatminima from the driver
            }
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** A master option normalised for messages (trimmed; lower case for the keywords). */
    static String normalise(String master) {
        String m = master.strip();
        return m.equalsIgnoreCase("yarn") ? m.toLowerCase(Locale.ROOT) : m;
    }
}

package org.flatminima.sweeps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.flatminima.experiments.sweep.SweepTable;

/**
 * The sweep table as Parquet, through Spark's own writer: {@code table.csv} read with a typed schema (text for
 * names, 64-bit integers for counts and steps, doubles for everything measured; an empty cell is null, {@code NaN}
 * is NaN) and written as one file into {@code table.parquet/}. The directory is replaced whole: written beside it
 * and renamed into place, so a reader never sees half a table.
 */
final class ParquetTable {
    private ParquetTable() {
    }

    /** The Spark schema of a table with these columns. */
    static StructType schema(List<String> columns) {
        StructField[] fields = new StructField[columns.size()];
        for (int i = 0; i < fields.length; i++) {
            String c = columns.get(i);
            DataType t = switch (SweepTable.kind(c)) {
                case TEXT -> DataTypes.StringType;
                case INTEGER -> DataTypes.LongType;
                case REAL -> DataTypes.DoubleType;
            };
            fields[i] = DataTypes.createStructField(c, t, true);
        }
        return DataTypes.createStructType(fields);
    }

    /** Writes {@code csv} (whose header is {@code columns}) as {@code parquetDir}. */
    static void write(SparkSession spark, Path csv, List<String> columns, Path parquetDir) throws IOException {
        Path tmp = parquetDir.resolveSibling("." + parquetDir.getFileName() + ".tmp");
        deleteTree(tmp);
        Dataset<Row> df = spark.read().option("header", "true").option("nanValue", "NaN")
                .schema(schema(columns)).csv(csv.toString());
        df.coalesce(1).write().mode(SaveMode.Overwrite).parquet(tmp.toString());
        Path old = parquetDir.resolveSibling("." + parquetDir.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(parquetDir)) {
            Files.move(parquetDir, old);
        }
        Files.move(tmp, parquetDir);
        deleteTree(old);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

#!/bin/bash
# usage: jit-warmup-20261207.sh JAR THREADS WORKLOAD OP DTYPE BATCH VARIANT WARMUP REPS
JAR=$1; T=$2
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=67108864 OPENBLAS_NUM_THREADS=$T
printf '{"cmd":"time","workload":"%s","op":"%s","dtype":"%s","batch":%s,"variant":"%s","warmup":%s,"reps":%s}\n{"cmd":"quit"}\n' $3 $4 $5 $6 $7 $8 $9 | \
/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss4m -Xmx2g -XX:+UseSerialGC -Xmn32m ${KT:+-Dflatminima.kernelTimes=true} $JOPTS -cp $JAR org.flatminima.bench.compare.CompareWorker --threads $T 2>&1

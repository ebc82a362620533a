#!/bin/bash
# Issue 17, 2026-12-05, docs/PERFORMANCE.md section
# "E2's checkpoints: per-sample Gram products, pooling under the taps, a faster authors' estimator":
# `flatminima analyze` of the one-epoch E2 CNN (/tmp/traincnn) on 10,000 MNIST training points, f64, exact per-point
# traces, from a given jar; prints wall time and peak RSS. Jars of two builds run alternately, the CSVs compared.
# usage: analyze-ab-20261205.sh JAR OUT.csv
ARCH="seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),flatten,linear(128),relu,linear(10)"
/usr/bin/time -f "%e s %M KB" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar $1 analyze --arch "$ARCH" --weights /tmp/traincnn/model.safetensors --data mnist --limit 10000 --dtype f64 --trace exact --per-point $2 2>&1 | grep -v WARNING | tail -1

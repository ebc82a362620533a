#!/bin/bash
# JFR profile of one CompareWorker case (issue 17, per-op overhead, 2026-12-03):
#   JFR=1 overhead-profile-20261203.sh JAR WORKLOAD OP BATCH REPS OUT.jfr   (f32, THREADS threads, default 1; 200 untimed calls, then REPS)
# The JFR settings are the JDK's profile.jfc with both method-sampling intervals at 1 ms, written to /tmp/ovh/prof.jfc:
#   sed -e "s/method-sampling-java-interval\">10 ms/method-sampling-java-interval\">1 ms/" -e "s/method-sampling-native-interval\">20 ms/method-sampling-native-interval\">1 ms/" $JAVA_HOME/lib/jfr/profile.jfc > /tmp/ovh/prof.jfc
# Then: python3 overhead-profile-20261203.py OUT.jfr (attribution by category).
# usage: prof.sh JAR WORKLOAD OP BATCH REPS OUT.jfr
# WARMUP (default 200 untimed calls), JFC (default /tmp/ovh/prof.jfc), THREADS (default 1) and JVM_OPTS (extra JVM options)
# may be set in the environment
# (train-profile-20261203.sh does).
JAR=$1; W=$2; OP=$3; B=$4; REPS=$5; OUT=$6
WARMUP=${WARMUP:-200}; JFC=${JFC:-/tmp/ovh/prof.jfc}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
{
echo '{"cmd":"time","workload":"'$W'","op":"'$OP'","dtype":"f32","variant":"all","warmup":'$WARMUP',"reps":5,"batch":'$B'}'
echo '{"cmd":"time","workload":"'$W'","op":"'$OP'","dtype":"f32","variant":"all","warmup":0,"reps":'$REPS',"batch":'$B'}'
echo '{"cmd":"quit"}'
} | MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 OPENBLAS_NUM_THREADS=1 $J --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss4m -Xmx2g -XX:+UseSerialGC ${JVM_OPTS} \
  ${JFR:+-XX:StartFlightRecording=filename=$OUT,settings=$JFC} -cp $JAR org.flatminima.bench.compare.CompareWorker --threads ${THREADS:-1} 2>/dev/null | python3 -c '
import sys,json,statistics
for l in sys.stdin:
    if not l.startswith("{"): continue
    r=json.loads(l)
    for x in r.get("results",[]):
        t=x.get("times_ms")
        if t: print(x["variant"], "n=%d median=%.4f min=%.4f"%(len(t),statistics.median(t),min(t)))
        elif "error" in x: print(x)
'

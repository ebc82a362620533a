# Shell functions shared by ./flatminima and bench/gemm.sh. Source it; it defines functions only.
#
#   fm_find_java             print the path of a java >= FM_MIN_JAVA (25), or print an error and return 2
#   fm_java_home JAVA        print the java.home of that java
#   fm_build_if_stale ROOT JAVA JAR...   build with Maven when a JAR is missing or older than any source (only
#                            the modules FM_BUILD_PROJECTS names and those they need, when it is set)
#   fm_exec_filtered CMD...  replace this shell by CMD (exec), its stderr passed through the warning filter:
#                            signals reach the JVM itself, and its exit status is the script's
#   fm_run_filtered CMD...   run CMD, dropping the JVM's "Using incubator modules" warning from its stderr
#   fm_run_filtered_all CMD...  the same, and also drop every copy of that line from stdout (JMH relays
#                            each forked JVM's warning there); stdout is then filtered line by line
#
# JDK discovery, in this order, the same on every machine: $JAVA_HOME, `java` on PATH, then the JDKs in
# the usual install locations (the newest one wins).

FM_MIN_JAVA=${FM_MIN_JAVA:-25}
FM_INCUBATOR_WARNING="WARNING: Using incubator modules: jdk.incubator.vector"
# The JVM options Apache Spark needs on JDK 25 (its launcher's own list; sweeps/pom.xml has the same for tests).
FM_SPARK_JVM_FLAGS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
    --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
    --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    -Dio.netty.tryReflectionSetAccessible=true)

fm_err() {
    printf 'flatminima: %s\n' "$*" >&2
}

# Major version of a version string: "25.0.3" -> 25, "25-ea" -> 25, "1.8.0_392" -> 8.
fm_major() {
    local v=$1
    if [[ $v == 1.* ]]; then
        v=${v#1.}
    fi
    v=${v%%[!0-9]*}
    printf '%s\n' "${v:-0}"
}

# Major version of a java executable (0 when it does not run).
fm_java_major() {
    local v
    v=$("$1" -version 2>&1 | sed -n 's/^[^"]* version "\([^"]*\)".*/\1/p' | head -n 1)
    fm_major "${v:-0}"
}

# Major version of a Java home from its `release` file (0 when unknown), without starting a JVM.
fm_home_major() {
    local v=""
    if [[ -r $1/release ]]; then
        v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release" | head -n 1)
    fi
    if [[ -z $v && -x $1/bin/java ]]; then
        fm_java_major "$1/bin/java"
        return
    fi
    fm_major "${v:-0}"
}

fm_find_java() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] \
        && (( $(fm_java_major "$JAVA_HOME/bin/java") >= FM_MIN_JAVA )); then
        printf '%s\n' "$JAVA_HOME/bin/java"
        return 0
    fi
    local onpath
    onpath=$(command -v java 2>/dev/null || true)
    if [[ -n $onpath ]] && (( $(fm_java_major "$onpath") >= FM_MIN_JAVA )); then
        printf '%s\n' "$onpath"
        return 0
    fi
    local candidates=() home best="" best_major=0 major
    shopt -s nullglob
    candidates+=(/usr/lib/jvm/* /usr/lib64/jvm/* /usr/java/* /usr/local/java/* /opt/java/* /opt/jdk* /opt/jdk/*)
    candidates+=(/Library/Java/JavaVirtualMachines/*/Contents/Home)
    candidates+=(/opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home)
    candidates+=(/usr/local/opt/openjdk*/libexec/openjdk.jdk/Contents/Home)
    candidates+=("$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* "$HOME"/.local/share/mise/installs/java/*)
    candidates+=("$HOME"/.asdf/installs/java/*)
    shopt -u nullglob
    if [[ -x /usr/libexec/java_home ]]; then
        home=$(/usr/libexec/java_home -v "$FM_MIN_JAVA+" 2>/dev/null || true)
        [[ -n $home ]] && candidates+=("$home")
    fi
    # newest major wins; among equals the first in the (sorted) list above
    for home in "${candidates[@]}"; do
        [[ -x $home/bin/java ]] || continue
        major=$(fm_home_major "$home")
        if (( major >= FM_MIN_JAVA && major > best_major )); then
            best=$home
            best_major=$major
        fi
    done
    if [[ -n $best ]]; then
        printf '%s\n' "$best/bin/java"
        return 0
    fi
    fm_err "no JDK $FM_MIN_JAVA or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm and other usual places); install JDK $FM_MIN_JAVA (e.g. Temurin $FM_MIN_JAVA from https://adoptium.net, or 'apt install openjdk-$FM_MIN_JAVA-jdk') or set JAVA_HOME to it"
    return 2
}

fm_java_home() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n 1
}

# True (0) when a file that goes into the build is newer than $2, or $2 is missing.
fm_stale() {
    local root=$1 jar=$2
    [[ -f $jar ]] || return 0
    [[ -n $(find "$root" \( -name .git -o -name target -o -name results -o -name docs \
                -o -path "$root/native/build" \) -prune -o -type f \
                \( -name pom.xml -o -path '*/src/*' -o -path "$root/.mvn/*" -o -path "$root/native/*" \) \
                -newer "$jar" -print -quit) ]]
}

fm_build_if_stale() {
    local root=$1 java=$2 jar stale=0
    shift 2
    if [[ -n ${FLATMINIMA_NO_BUILD:-} ]]; then
        for jar in "$@"; do
            [[ -f $jar ]] || { fm_err "FLATMINIMA_NO_BUILD is set but $jar is missing"; return 2; }
        done
        return 0
    fi
    for jar in "$@"; do
        fm_stale "$root" "$jar" && stale=1
    done
    (( stale )) || return 0
    if ! command -v mvn >/dev/null 2>&1; then
        fm_err "Maven (mvn) is needed to build flatminima the first time; install Maven 3.8.7 or newer (e.g. 'apt install maven')"
        return 2
    fi
    # one build at a time for this checkout; the second waiter finds everything fresh
    local lock="${TMPDIR:-/tmp}/flatminima-build-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$lock"
        flock 9
        stale=0
        for jar in "$@"; do
            fm_stale "$root" "$jar" && stale=1
        done
        if (( ! stale )); then
            exec 9>&-
            return 0
        fi
    fi
    local home status projects=()
    home=$(fm_java_home "$java")
    [[ -n ${FM_BUILD_PROJECTS:-} ]] && projects=(-pl "$FM_BUILD_PROJECTS" -am)
    fm_err "building (first run, or sources changed): mvn -q -B -DskipTests package ${projects[*]} in $root ..."
    # Maven 3.8's console library writes bare colour resets even with -B -q: strip escape sequences. Maven gets
    # no stdin: it would swallow input meant for the command (e.g. lines piped into `flatminima shell`).
    if [[ -n $home && -x $home/bin/javac ]]; then
        (cd "$root" && JAVA_HOME=$home mvn -q -B -DskipTests package ${projects[@]+"${projects[@]}"} 2>&1 </dev/null) | sed -u 's/\x1b\[[0-9;]*m//g' >&2
    else
        (cd "$root" && mvn -q -B -DskipTests package ${projects[@]+"${projects[@]}"} 2>&1 </dev/null) | sed -u 's/\x1b\[[0-9;]*m//g' >&2
    fi
    status=${PIPESTATUS[0]}
    exec 9>&-
    if (( status != 0 )); then
        fm_err "the build failed (Maven's messages are above); run 'mvn -B -DskipTests package' in $root for details"
        return 1
    fi
    for jar in "$@"; do
        [[ -f $jar ]] || { fm_err "the build succeeded but did not produce $jar"; return 1; }
    done
    # Maven leaves a jar untouched when its own module did not change (e.g. only examples/ or bench/ did):
    # mark the jars as built from the current sources, or every later run would build again
    touch "$@"
}

# Copies stdin to stdout, dropping the JVM's incubator warning. The JVM prints it at start-up, before any
# output of the program, so only the first lines are examined (after at most "Picked up ..." notes); the
# rest passes through byte for byte, unbuffered, so progress bars that redraw with \r still work.
# Must run in a subshell (e.g. a pipeline stage): it ends with exec.
fm_filter_incubator_warning() {
    local line
    while IFS= read -r line; do
        if [[ $line == "$FM_INCUBATOR_WARNING" ]]; then
            exec cat
        fi
        printf '%s\n' "$line"
        case $line in
            "Picked up "* | "NOTE: Picked up "*) ;;
            *) exec cat ;;
        esac
    done
    [[ -n $line ]] && printf '%s' "$line"
    return 0
}

# Replaces the shell by "$@" (exec), with its stderr passed through fm_filter_incubator_warning in a process
# substitution. The command keeps the shell's process id, so SIGTERM (kill, a job scheduler) and SIGINT reach it
# directly and its exit status (130/143 after a signal) is the caller's; nothing outlives it. The filter ignores
# SIGINT and SIGTERM (Ctrl-C signals the whole process group) and ends when the command closes its stderr, so the
# command's last words are not lost.
fm_exec_filtered() {
    exec "$@" 2> >(trap '' INT TERM; fm_filter_incubator_warning >&2)
}

# Runs "$@" with its stderr passed through fm_filter_incubator_warning; returns the command's status.
fm_run_filtered() {
    local status
    { "$@" 2>&1 1>&3 3>&- | fm_filter_incubator_warning 1>&2 3>&-; status=${PIPESTATUS[0]}; } 3>&1
    return "$status"
}

# Like fm_run_filtered, and also drops every exact copy of the warning from stdout, line by line.
fm_run_filtered_all() {
    local status
    (
        { "$@" 2>&1 1>&3 3>&- | fm_filter_incubator_warning 1>&2 3>&-; exit "${PIPESTATUS[0]}"; } 3>&1
    ) | grep --line-buffered -v -x -F -e "$FM_INCUBATOR_WARNING"
    status=${PIPESTATUS[0]}
    return "$status"
}

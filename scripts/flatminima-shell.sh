# `flatminima shell`: jshell with the engine on the class path. Sourced by ./flatminima; defines one function.
#
#   fm_shell ROOT JAVA JAR [JSHELL OPTIONS...]
#       runs the jshell of JAVA's JDK with JAR (the runnable jar: engine, experiments and their dependencies) on
#       the class path, the JVM options the engine needs passed to the JVM that runs the snippets (-R) and to
#       jshell's own (-J), FLATMINIMA_JAVA_OPTS passed with -R, and the startup script
#       scripts/shell-startup.jsh (the common imports) after jshell's default one. Returns jshell's status.

fm_shell() {
    local root=$1 java=$2 jar=$3
    shift 3
    local jshell
    jshell=$(dirname "$java")/jshell
    if [[ ! -x $jshell ]]; then
        fm_err "jshell is not next to $java (a JRE without the JDK tools?); install a full JDK 25 or set JAVA_HOME to one"
        return 2
    fi
    local flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
    local args=(--class-path "$jar" --add-modules jdk.incubator.vector)
    local f
    for f in "${flags[@]}"; do
        args+=("-R$f" "-J$f")
    done
    # shellcheck disable=SC2206 # word splitting of the user's options is intended
    local opts=(${FLATMINIMA_JAVA_OPTS:-})
    for f in ${opts[@]+"${opts[@]}"}; do
        args+=("-R$f")
    done
    args+=(--startup DEFAULT --startup "$root/scripts/shell-startup.jsh")
    fm_run_filtered "$jshell" "${args[@]}" "$@"
}

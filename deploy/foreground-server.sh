# Sourced (not run) by the scripts that keep a test server in the foreground: azurite.sh,
# s3rver.sh, postgres.sh. They print the server's port on stdout and stay while it runs; these
# are the steps they share. Messages go to stderr, prefixed with the calling script's name.

# stop_on_exit SIGNAL: when the script exits (SIGTERM, SIGINT and SIGHUP make it exit), the
# server the caller started as "$pid" gets SIGNAL, SIGKILL if it is still running 10 s later,
# and the caller's temp folder "$work" is removed. Call it once pid= and work= are set.
stop_on_exit() {
    stop_signal=$1
    trap stop_server EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    trap 'exit 129' HUP
}

# Whether process $1 runs (a child that exited stays a zombie until it is waited for).
running() { kill -0 "$1" 2>/dev/null && [[ $(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

stop_server() {
    if [[ -n ${pid:-} ]] && running "$pid"; then
        kill "-$stop_signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}

# wait_for_listening PID LOG SED_EXPRESSION: the port the server announces in LOG (the expression
# prints it from the announcing line) once that port accepts connections; exits 1 with the log
# when the server exits first or does not listen within 120 s.
wait_for_listening() {
    local pid=$1 log=$2 expression=$3 bound
    for _ in $(seq 1 600); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "${0##*/}: the server exited before listening:" >&2
            cat "$log" >&2
            exit 1
        fi
        bound=$(sed -nE "$expression" "$log" | head -n1)
        if [[ -n $bound ]] && (exec 3<>"/dev/tcp/127.0.0.1/$bound") 2>/dev/null; then
            echo "$bound"
            return
        fi
        sleep 0.2
    done
    echo "${0##*/}: the server did not accept connections within 120 s:" >&2
    cat "$log" >&2
    exit 1
}

# stay_in_foreground PID PARENT_PID LOG: returns never; exits 0 once PARENT_PID (when not empty)
# is gone, so a crashed test run leaves no server behind, and 1 with the log's tail when the
# server exits by itself. The caller's EXIT trap stops the server.
stay_in_foreground() {
    local pid=$1 parent=$2 log=$3
    while kill -0 "$pid" 2>/dev/null; do
        if [[ -n $parent ]] && ! kill -0 "$parent" 2>/dev/null; then
            echo "${0##*/}: parent process $parent is gone; stopping the server" >&2
            exit 0
        fi
        sleep 1
    done
    echo "${0##*/}: the server exited:" >&2
    tail -n 20 "$log" >&2
    exit 1
}

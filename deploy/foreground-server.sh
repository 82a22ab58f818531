# Sourced (not run) by the scripts that keep a test server in the foreground: azurite.sh,
# s3rver.sh, postgres.sh. They print the server's port on stdout and stay while it runs; these
# are the two steps they share. Messages go to stderr, prefixed with the calling script's name.

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

#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1, for the tests (and by hand).
#
#   deploy/postgres.sh [PORT]
#
# Installs Debian's postgresql package when its server programs are missing (deploy/apt-install.sh),
# creates a cluster in a temp folder (initdb, trust authentication, superuser "postgres"), starts
# it on 127.0.0.1:PORT, or on a free port when PORT is left out or 0, waits until it accepts
# connections and prints the port, alone, as one line on stdout. Everything else goes to stderr.
# The script then stays in the foreground until the server exits or the script is stopped
# (Ctrl-C, SIGTERM); either way the server is stopped and its folder removed. With
# POSTGRES_PARENT_PID set it also stops once that process is gone, so a crashed test run leaves no
# server behind. PostgreSQL refuses to run as root: as root the cluster belongs to the postgres
# user the package creates.
# Connect with: Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres
set -euo pipefail

port=${1:-0}
[[ $port =~ ^[0-9]+$ ]] || { echo "postgres.sh: port must be a number, got '$port'" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/foreground-server.sh"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
bin=$(bindir)
if [[ -z $bin || ! -x $bin/postgres ]]; then
    "$root/deploy/apt-install.sh" postgresql >&2 || exit 1
    bin=$(bindir)
    [[ -n $bin && -x $bin/postgres ]] || { echo "postgres.sh: postgresql is installed but no server is under /usr/lib/postgresql/*/bin" >&2; exit 1; }
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || { echo "postgres.sh: running as root, and there is no postgres user to run the server as" >&2; exit 1; }
    as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups)   # execs: $! is the server itself
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/postgres.XXXXXX")
chmod 755 "$work"
[[ ${#as_owner[@]} -eq 0 ]] || chown postgres: "$work"
data=$work/data
log=$work/server.log
pid=

# SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing waits for clients.
stop_on_exit INT

"${as_owner[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; echo "postgres.sh: initdb failed (above)" >&2; exit 1; }

# A test run starts many connections at once (several processes, each with a pool); fsync off:
# nothing in a throw-away cluster needs to survive a power cut, and tests run faster without it.
start_server() {
    "${as_owner[@]}" "$bin/postgres" -D "$data" -p "$1" -c listen_addresses=127.0.0.1 -c unix_socket_directories="$work" \
        -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off >"$log" 2>&1 &
    pid=$!
}

ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres; }

bound=
for attempt in $(seq 1 20); do
    candidate=$port
    if [[ $port -eq 0 ]]; then
        candidate=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue   # taken
    fi
    start_server "$candidate"
    for _ in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        if ready "$candidate"; then bound=$candidate; break; fi
        sleep 0.1
    done
    [[ -n $bound ]] && break
    if kill -0 "$pid" 2>/dev/null; then
        echo "postgres.sh: the server did not accept connections within 30 s:" >&2
        cat "$log" >&2
        exit 1
    fi
    pid=
    # Lost a race for the port (another server took it meanwhile): try another one.
    if [[ $port -ne 0 ]] || ! grep -q "could not bind\|Address already in use" "$log"; then
        echo "postgres.sh: the server exited before accepting connections:" >&2
        cat "$log" >&2
        exit 1
    fi
done
[[ -n $bound ]] || { echo "postgres.sh: found no free port in 20 tries" >&2; exit 1; }

echo "$bound"
echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$bound (pid $pid, data in $data)" >&2

stay_in_foreground "$pid" "${POSTGRES_PARENT_PID:-}" "$log"

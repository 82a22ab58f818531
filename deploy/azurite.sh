#!/usr/bin/env bash
# Azurite's blob service on 127.0.0.1, for the tests (and by hand).
#
#   deploy/azurite.sh [PORT]
#
# Installs npm azurite@3.37.0 into .tools/azurite (git-ignored) when it is missing, starts
# azurite-blob in memory (nothing is persisted; it runs in a throw-away temp folder) on PORT,
# or on a free port the kernel picks when PORT is left out or 0, waits until the port accepts
# connections and prints the port, alone, as one line on stdout. Everything else goes to stderr.
# The script then stays in the foreground until Azurite exits or the script is stopped
# (Ctrl-C, SIGTERM); either way Azurite is stopped with it. With AZURITE_PARENT_PID set it also
# stops once that process is gone, so a crashed test run leaves no server behind.
# Connect with the well-known devstoreaccount1 connection string, BlobEndpoint
# http://127.0.0.1:PORT/devstoreaccount1. Needs Node.js and npm (Debian's /usr/bin/node, npm).
set -euo pipefail

version=3.37.0
port=${1:-0}
[[ $port =~ ^[0-9]+$ ]] || { echo "azurite.sh: port must be a number, got '$port'" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/foreground-server.sh"
bin=$("$root/deploy/npm-tool.sh" azurite "$version" azurite-blob)

work=$(mktemp -d "${TMPDIR:-/tmp}/azurite.XXXXXX")
log=$work/azurite.log
pid=

stop_on_exit TERM

# --inMemoryPersistence refuses --location in 3.37.0, so the temp folder is only the working
# directory (Azurite writes nothing there in memory mode). --disableTelemetry: 3.37.0 otherwise
# tries to send usage data.
(cd "$work" && exec "$bin" --blobHost 127.0.0.1 --blobPort "$port" --skipApiVersionCheck \
    --inMemoryPersistence --disableTelemetry --silent) >"$log" 2>&1 &
pid=$!

# Azurite prints "Azurite Blob service successfully listens on http://127.0.0.1:PORT" once bound.
bound=$(wait_for_listening "$pid" "$log" 's#.*successfully listens on https?://127\.0\.0\.1:([0-9]+).*#\1#p')
echo "$bound"
echo "azurite.sh: Azurite $version blob service on http://127.0.0.1:$bound/devstoreaccount1 (pid $pid)" >&2

stay_in_foreground "$pid" "${AZURITE_PARENT_PID:-}" "$log"

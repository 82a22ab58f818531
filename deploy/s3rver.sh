#!/usr/bin/env bash
# An S3-compatible server (npm s3rver) on 127.0.0.1, for the tests (and by hand).
#
#   deploy/s3rver.sh [PORT]
#
# Installs npm s3rver@3.7.1 into .tools/s3rver (git-ignored) when it is missing, starts it with a
# throw-away temp folder as its storage on PORT,
# or on a free port the kernel picks when PORT is left out or 0, waits until the port accepts
# connections and prints the port, alone, as one line on stdout. Everything else goes to stderr.
# The script then stays in the foreground until s3rver exits or the script is stopped
# (Ctrl-C, SIGTERM); either way s3rver is stopped with it. With S3RVER_PARENT_PID set it also
# stops once that process is gone, so a crashed test run leaves no server behind.
# Connect to http://127.0.0.1:PORT, path-style, with access key S3RVER and secret S3RVER.
# Needs Node.js and npm (Debian's /usr/bin/node, npm).
set -euo pipefail

version=3.7.1
port=${1:-0}
[[ $port =~ ^[0-9]+$ ]] || { echo "s3rver.sh: port must be a number, got '$port'" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/deploy/foreground-server.sh"
bin=$("$root/deploy/npm-tool.sh" s3rver "$version" s3rver)

work=$(mktemp -d "${TMPDIR:-/tmp}/s3rver.XXXXXX")
log=$work/s3rver.log
pid=

stop_on_exit TERM

mkdir -p "$work/data"
"$bin" --directory "$work/data" --address 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!

# s3rver prints "S3rver listening on 127.0.0.1:PORT" once bound.
bound=$(wait_for_listening "$pid" "$log" 's#.*listening on 127\.0\.0\.1:([0-9]+).*#\1#p')
echo "$bound"
echo "s3rver.sh: s3rver $version on http://127.0.0.1:$bound (pid $pid)" >&2

stay_in_foreground "$pid" "${S3RVER_PARENT_PID:-}" "$log"

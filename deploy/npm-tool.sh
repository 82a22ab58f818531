#!/usr/bin/env bash
# An npm program for the test servers, installed once per clone:
#   deploy/npm-tool.sh PACKAGE VERSION BIN
# Installs PACKAGE@VERSION into .tools/PACKAGE (git-ignored) when that version is not there yet,
# and prints the path of its program BIN (node_modules/.bin/BIN) on stdout. Several test runs
# starting at once on a fresh clone take turns: one installs, the others wait. Needs Node.js and npm.
set -euo pipefail
package=$1 version=$2 name=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/.tools/$package
bin=$tools/node_modules/.bin/$name
marker=$tools/.installed-$version

command -v node >/dev/null || { echo "npm-tool.sh: node is not on PATH (install Node.js and npm)" >&2; exit 1; }
if [[ ! -f $marker || ! -x $bin ]]; then
    command -v npm >/dev/null || { echo "npm-tool.sh: npm is not on PATH" >&2; exit 1; }
    mkdir -p "$tools"
    exec 9>"$tools.lock"
    flock 9
    if [[ ! -f $marker || ! -x $bin ]]; then
        echo "npm-tool.sh: installing $package@$version into $tools" >&2
        npm install --prefix "$tools" --no-audit --no-fund --no-save "$package@$version" >&2
        [[ -x $bin ]] || { echo "npm-tool.sh: npm install finished but $bin is missing" >&2; exit 1; }
        touch "$marker"
    fi
    flock -u 9
    exec 9>&-
fi
echo "$bin"

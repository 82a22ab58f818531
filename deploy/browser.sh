#!/usr/bin/env bash
# Installs what the Swagger UI browser test needs, idempotently, on a Debian 12 machine:
#   - Debian's chromium (/usr/bin/chromium), through apt-get when it is missing;
#   - npm playwright-core (pinned) into the project-local, git-ignored .tools/browser.
# Playwright's own browser download ('npx playwright install') does not work on these machines:
# the test drives Debian's chromium through playwright-core's executablePath instead.
# Prints the chromium and playwright-core versions on success; exits non-zero with a clear message otherwise.
set -uo pipefail

PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${BROWSER_TOOLS_DIR:-$root/.tools/browser}"

fail() { echo "deploy/browser.sh: $*" >&2; exit 1; }

# --- chromium ---------------------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
    command -v apt-get >/dev/null || fail "$CHROMIUM is missing and apt-get is not available: install Debian's 'chromium' package by hand."
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        fail "$CHROMIUM is missing; installing it needs root (run as root, or give this user password-less sudo): apt-get install -y chromium"
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "Installing Debian's chromium (apt-get install -y chromium)..."
    if ! "${sudo[@]}" apt-get install -y -q chromium >/tmp/browser-sh-apt.log 2>&1; then
        echo "apt-get install failed; running apt-get update and trying again..."
        "${sudo[@]}" apt-get update -q >>/tmp/browser-sh-apt.log 2>&1 \
            || { tail -n 20 /tmp/browser-sh-apt.log >&2; fail "apt-get update failed (log above, full log: /tmp/browser-sh-apt.log)."; }
        "${sudo[@]}" apt-get install -y -q chromium >>/tmp/browser-sh-apt.log 2>&1 \
            || { tail -n 20 /tmp/browser-sh-apt.log >&2; fail "apt-get install -y chromium failed (log above, full log: /tmp/browser-sh-apt.log)."; }
    fi
    [ -x "$CHROMIUM" ] || fail "apt-get installed chromium but $CHROMIUM is still missing."
fi
chromium_version="$("$CHROMIUM" --version 2>/dev/null)" || fail "$CHROMIUM is installed but '$CHROMIUM --version' fails."

# --- playwright-core --------------------------------------------------------------------------
command -v node >/dev/null || fail "Node.js is required (node on PATH) to drive the browser; install Debian's nodejs or Node.js 18+."
command -v npm >/dev/null || fail "npm is required (npm on PATH) to install playwright-core."
installed="$(node -p "require('$prefix/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$PLAYWRIGHT_CORE_VERSION" ]; then
    echo "Installing playwright-core@$PLAYWRIGHT_CORE_VERSION into $prefix..."
    mkdir -p "$prefix" || fail "cannot create $prefix."
    # A package.json of its own, so npm does not climb to some parent folder's project.
    [ -f "$prefix/package.json" ] || echo '{ "name": "t2i-browser-tools", "private": true }' >"$prefix/package.json"
    # playwright-core never downloads a browser on install (only the 'playwright' package does).
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2 \
        || fail "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION failed (is the npm registry reachable?)."
    installed="$(node -p "require('$prefix/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
    [ "$installed" = "$PLAYWRIGHT_CORE_VERSION" ] || fail "playwright-core@$PLAYWRIGHT_CORE_VERSION is not in $prefix/node_modules after npm install."
fi

echo "chromium: $chromium_version ($CHROMIUM)"
echo "playwright-core: $installed ($prefix/node_modules/playwright-core)"

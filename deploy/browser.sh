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
    "$root/deploy/apt-install.sh" chromium || exit 1
    [ -x "$CHROMIUM" ] || fail "apt-get installed chromium but $CHROMIUM is still missing."
fi
chromium_version="$("$CHROMIUM" --version 2>/dev/null)" || fail "$CHROMIUM is installed but '$CHROMIUM --version' fails."

# --- playwright-core --------------------------------------------------------------------------
command -v node >/dev/null && command -v npm >/dev/null || "$root/deploy/apt-install.sh" nodejs npm || exit 1
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

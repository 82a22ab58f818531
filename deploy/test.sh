#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test of the solution and
# the containers' smoke test (deploy/compose-test.sh).
# Needs the .NET 10 SDK. Node.js and npm (Azurite, playwright-core), Debian's chromium and postgresql are
# installed with apt-get when missing, which needs root or password-less sudo (deploy/apt-install.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }
{ command -v node >/dev/null && command -v npm >/dev/null; } || deploy/apt-install.sh nodejs npm || exit 1
# The PostgreSQL tests start their own clusters (deploy/postgres.sh); install the server once here,
# before test projects that run side by side could each try.
deploy/apt-install.sh postgresql || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Test projects run side by side, one per core. libtorch would give each process a thread per core
# too, and oversubscribed libtorch threads spin against each other (tests 10-30x slower, measured):
# one intra-op thread per test process.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
# Locked restore: exactly the versions in the packages.lock.json files, or a loud failure.
dotnet restore Api.sln --locked-mode || { echo "Restore failed: see above (the lock files fix every package version; see README, Packages)." >&2; exit 1; }
log=$(mktemp)
start=$SECONDS
dotnet test Api.sln -c Release --no-restore --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Time per test project (each runs in its own process; projects run side by side).
sed -nE 's/^\[xUnit\.net ([0-9:.]+)\] +Finished: +(.*)$/  \2: \1/p' "$log"
echo "dotnet test: $((SECONDS - start)) s"

# The containers: the real Dockerfile and docker-compose.yml, built and run here (after the tests,
# which would otherwise share the cores with the image build).
start=$SECONDS
deploy/compose-test.sh
compose_status=$?
echo "compose smoke test: $((SECONDS - start)) s"
[ "$compose_status" -eq 0 ] || [ "$status" -ne 0 ] || status=$compose_status
# One closing line for CI, summed over the test projects.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
# A test host that crashed ends its project without a Failed count: one failure per aborted run, so the line cannot read clean.
aborted=$(grep -c '^Test Run Aborted' "$log")
failed=$((failed + aborted))
# The smoke test counts as one test.
if [ "$compose_status" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"

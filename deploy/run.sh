#!/usr/bin/env bash
# The README's run command: the whole service on the embedded default — SQLite and images under
# data/, the in-process worker, Swagger UI — at http://127.0.0.1:5000 (URLS=... to change).
# The model is the bundled one in models/ (fluent-emoji), copied beside the binary by the build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "Starting the service: ${URLS:-http://127.0.0.1:5000}/swagger"
exec dotnet run --project src/TextToImage.Api -c Release -- --contentRoot "$root" --urls "${URLS:-http://127.0.0.1:5000}"

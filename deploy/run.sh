#!/usr/bin/env bash
# The README's run command: the whole service on the embedded default — SQLite and images under
# data/, the in-process worker, Swagger UI — at http://127.0.0.1:5000 (URLS=... to change).
# Until the bundled trained model ships in models/, it first makes a random-weight cascade in
# data/models so the service has something to run (its images are noise).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! compgen -G "models/*/model_index.json" >/dev/null && ! compgen -G "data/models/*/model_index.json" >/dev/null; then
  echo "No model found in models/ or data/models/: creating a random-weight 'small' cascade in data/models/random-small."
  dotnet run --project src/TextToImage.Cli -c Release -- new-model --out data/models/random-small --preset small
fi

echo "Starting the service: ${URLS:-http://127.0.0.1:5000}/swagger"
exec dotnet run --project src/TextToImage.Api -c Release -- --contentRoot "$root" --urls "${URLS:-http://127.0.0.1:5000}"

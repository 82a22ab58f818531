#!/usr/bin/env bash
# Service benchmark: pick-up latency of queued jobs on an idle worker, and status-poll throughput
# under load (wrk), next to /healthz measured in the same run as the baseline. Starts the built API
# on 127.0.0.1 with a throw-away data root and the tiny random model; installs wrk and jq if missing.
#   deploy/bench-service.sh [JOBS=20] [SECONDS=10] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20}; seconds=${2:-10}; connections=${3:-32}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

deploy/apt-install.sh wrk jq || exit 1

dotnet build src/TextToImage.Api -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d)
trap 'kill $api 2>/dev/null; wait $api 2>/dev/null; rm -rf "$work"' EXIT
deploy/t2i new-model --out "$work/models/tiny" --preset tiny >/dev/null

port=5099; base="http://127.0.0.1:$port"
DataRoot="$work/data" Models__Folders__0="$work/models" Api__RateLimitPerSecond=0 Logging__LogLevel__Default=Warning \
  dotnet src/TextToImage.Api/bin/Release/net10.0/TextToImage.Api.dll --urls "$base" >"$work/api.log" 2>&1 &
api=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; kill -0 $api || { cat "$work/api.log"; exit 1; }; done

echo "== pick-up latency: $jobs jobs one after another on an idle worker (1 step, 16 px) =="
for i in $(seq "$jobs"); do
  curl -s -X POST "$base/v1/generations" -H 'Content-Type: application/json' -H 'Prefer: wait=60' \
       -d "{\"prompt\": \"bench $i\", \"seed\": $i, \"steps\": 1, \"resolution\": 16}" | jq -r '.metrics.queueSeconds'
  sleep 0.3 # let the worker go idle between jobs, as a real one would be
done | sort -n | awk '{ v[NR] = $1 } END { printf "queue seconds: min %.3f  median %.3f  p90 %.3f  max %.3f\n", v[1], v[int((NR + 1) / 2)], v[int(NR * 0.9)], v[NR] }'

id=$(curl -s "$base/v1/generations?limit=1" | jq -r '.items[0].id')
echo "== status polls: wrk -t2 -c$connections -d${seconds}s =="
health=$(wrk -t2 -c"$connections" -d"${seconds}s" "$base/healthz" | awk '/Requests\/sec/ { print $2 }')
status=$(wrk -t2 -c"$connections" -d"${seconds}s" "$base/v1/generations/$id" | awk '/Requests\/sec/ { print $2 }')
printf "GET /healthz (baseline)        %10.0f req/s\nGET /v1/generations/{id}       %10.0f req/s  (%.0f %% of baseline)\n" \
  "$health" "$status" "$(echo "$status * 100 / $health" | bc -l)"

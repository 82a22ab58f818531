#!/usr/bin/env bash
# The serving batcher: jobs per minute for JOBS concurrent one-image jobs at the model's defaults, one API
# process with its in-process worker (SQLite, local files) on 127.0.0.1, with Jobs:MaxBatchImages=1 (each job
# alone: the baseline) and =JOBS (jobs that waited together share the network). Each round warms the model up
# with one job, submits the JOBS jobs at once and times them from the first submission to the last end.
# Libtorch gets THREADS threads (default: every core). Installs jq when missing.
#   deploy/bench-batcher.sh [JOBS=8] [MODEL_FOLDER=models] [THREADS=all]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-8}; models=$(readlink -f "${2:-models}"); threads=${3:-$(getconf _NPROCESSORS_ONLN)}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

deploy/apt-install.sh jq || exit 1
dotnet build src/TextToImage.Api -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d)
api=
stop() { [[ -n $api ]] && { kill "$api" 2>/dev/null || true; wait "$api" 2>/dev/null || true; }; rm -rf "$work"; }
trap stop EXIT
port=5097; base="http://127.0.0.1:$port"

round() { # MAX_BATCH_IMAGES -> prints jobs per minute
    local ids=()
    DataRoot="$work/data$1" Models__Folders__0="$models" Jobs__MaxBatchImages="$1" Api__RateLimitPerSecond=0 \
        Logging__LogLevel__Default=Warning dotnet src/TextToImage.Api/bin/Release/net10.0/TextToImage.Api.dll --urls "$base" \
        >"$work/api$1.log" 2>&1 &
    api=$!
    until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; kill -0 "$api" || { cat "$work/api$1.log" >&2; exit 1; }; done
    curl -s -X POST "$base/v1/generations" -H 'Content-Type: application/json' -H 'Prefer: wait=300' \
         -d '{"prompt": "warm up"}' >/dev/null
    local start=$(date +%s.%N)
    for i in $(seq "$jobs"); do
        ids+=("$(curl -s -X POST "$base/v1/generations" -H 'Content-Type: application/json' \
                 -d "{\"prompt\": \"bench $i\", \"seed\": $i}" | jq -r .id)")
    done
    for id in "${ids[@]}"; do
        until curl -s "$base/v1/generations/$id" | jq -e '.status | IN("succeeded","failed","canceled")' >/dev/null; do sleep 0.1; done
    done
    local end=$(date +%s.%N)
    kill "$api"; wait "$api" 2>/dev/null || true; api=
    echo "$jobs * 60 / ($end - $start)" | bc -l
}

echo "== $jobs one-image jobs at the defaults of $models; $threads libtorch threads, $(getconf _NPROCESSORS_ONLN) cores =="
alone=$(round 1)
printf "Jobs:MaxBatchImages=1   %6.1f jobs/min  (baseline)\n" "$alone"
batched=$(round "$jobs")
printf "Jobs:MaxBatchImages=%-3d %6.1f jobs/min  (%.2fx the baseline)\n" "$jobs" "$batched" "$(echo "$batched / $alone" | bc -l)"

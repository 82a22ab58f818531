#!/usr/bin/env bash
# Fleet throughput: jobs per minute with 1, 2 and 3 worker processes on one PostgreSQL (deploy/postgres.sh),
# one API process (Jobs:InProcessWorker=false) and one blob folder, all on 127.0.0.1 with the tiny random
# model. Each round submits JOBS jobs at once and times them from the first submission to the last end;
# the 1-worker round is the baseline the others are divided by. Installs jq when missing.
#   deploy/bench-fleet.sh [JOBS=30] [STEPS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-30}; steps=${2:-8}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

deploy/apt-install.sh jq || exit 1
dotnet build src/TextToImage.Api -c Release -v quiet -nologo >/dev/null
dotnet build src/TextToImage.Worker -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d)
pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
deploy/t2i new-model --out "$work/models/tiny" --preset tiny >/dev/null

deploy/postgres.sh >"$work/pg.port" 2>"$work/pg.log" &
pids+=($!)
until [[ -s $work/pg.port ]]; do sleep 0.2; kill -0 "${pids[0]}" || { cat "$work/pg.log"; exit 1; }; done
pg=$(cat "$work/pg.port")

export Jobs__Storage=postgresql Jobs__InProcessWorker=false Storage__Folder="$work/blobs" Models__Folders__0="$work/models" \
       Api__RateLimitPerSecond=0 Jobs__MaxQueueLength=1000 Logging__LogLevel__Default=Warning
port=5098; base="http://127.0.0.1:$port"

round() { # WORKERS -> prints jobs per minute
    local workers=$1 database="bench$1" round_pids=() ids=()
    psql -q -h 127.0.0.1 -p "$pg" -U postgres -c "CREATE DATABASE $database" >/dev/null
    export ConnectionStrings__Jobs="Host=127.0.0.1;Port=$pg;Username=postgres;Database=$database"
    DataRoot="$work/api$workers" dotnet src/TextToImage.Api/bin/Release/net10.0/TextToImage.Api.dll --urls "$base" >"$work/api$workers.log" 2>&1 &
    round_pids+=($!)
    for w in $(seq "$workers"); do
        DataRoot="$work/w$workers-$w" dotnet src/TextToImage.Worker/bin/Release/net10.0/TextToImage.Worker.dll >"$work/w$workers-$w.log" 2>&1 &
        round_pids+=($!)
    done
    pids+=("${round_pids[@]}")
    until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
    # Workers are ready when they have loaded the model: one warm-up job per worker, not timed.
    for w in $(seq "$workers"); do
        curl -s -X POST "$base/v1/generations" -H 'Content-Type: application/json' -H 'Prefer: wait=60' \
             -d "{\"prompt\": \"warm $w\", \"steps\": 1, \"resolution\": 16}" >/dev/null &
    done
    wait_for_all() { for id in "$@"; do until curl -s "$base/v1/generations/$id" | jq -e '.status | IN("succeeded","failed","canceled")' >/dev/null; do sleep 0.2; done; done; }
    sleep 5
    local start=$(date +%s.%N)
    for i in $(seq "$jobs"); do
        ids+=("$(curl -s -X POST "$base/v1/generations" -H 'Content-Type: application/json' \
                 -d "{\"prompt\": \"bench $i\", \"seed\": $i, \"steps\": $steps, \"sampler\": \"ddim\", \"resolution\": 32}" | jq -r .id)")
    done
    wait_for_all "${ids[@]}"
    local end=$(date +%s.%N)
    kill "${round_pids[@]}" 2>/dev/null || true
    wait "${round_pids[@]}" 2>/dev/null || true
    echo "$jobs * 60 / ($end - $start)" | bc -l
}

echo "== $jobs jobs ($steps DDIM steps, 32 px, tiny model) per round; $(getconf _NPROCESSORS_ONLN) cores =="
one=$(round 1)
printf "1 worker   %6.1f jobs/min  (baseline)\n" "$one"
for workers in 2 3; do
    rate=$(round "$workers")
    printf "%d workers  %6.1f jobs/min  (%.2fx the 1-worker rate)\n" "$workers" "$rate" "$(echo "$rate / $one" | bc -l)"
done

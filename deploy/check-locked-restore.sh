#!/usr/bin/env bash
# Shows that restore is locked: a feed that starts serving another version of a transitive
# package does not change the build, and a pin changed without its lock file fails loudly.
#
#   deploy/check-locked-restore.sh
#
# Works on a copy of the working tree in a temp folder, with a package cache of its own, and a
# local feed placed before NuGet that serves ExCSS 4.3.1: the version Svg.Custom 5.2.3 asks for
# (>= 4.3.1), which NuGet's feed lacks. An unlocked restore would take 4.3.1 from it; the locked
# one must keep 4.3.2. Then the ExCSS pin is changed without the lock files: restore must fail
# with NU1004. Exits 0 when both hold.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/locked-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A package cache of its own, so the stand-in ExCSS never reaches the user's; the user's cache is a
# read-only fallback, so the packages it already has (libtorch: half a gigabyte) are not fetched again.
user_cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
fallback=()
[[ -d $user_cache ]] && fallback=("-p:RestoreAdditionalProjectFallbackFolders=$user_cache")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_PACKAGES=$work/packages

mkdir -p "$work/feed" "$work/package/lib/netstandard2.0" "$work/tree"
cat >"$work/package/ExCSS.nuspec" <<'NUSPEC'
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata><id>ExCSS</id><version>4.3.1</version><authors>check</authors>
    <description>A version a feed starts serving.</description></metadata>
</package>
NUSPEC
touch "$work/package/lib/netstandard2.0/_._"
(cd "$work/package" && python3 -c "import shutil; shutil.make_archive('$work/feed/excss.4.3.1', 'zip', '.')")
mv "$work/feed/excss.4.3.1.zip" "$work/feed/excss.4.3.1.nupkg"

(cd "$root" && git ls-files -co --exclude-standard | tar cf - -T -) | tar xf - -C "$work/tree"
cat >"$work/tree/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="new-versions" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
</configuration>
CONFIG
project=$work/tree/src/TextToImage.Training/TextToImage.Training.csproj

dotnet restore "$project" --locked-mode "${fallback[@]}" >"$work/restore.log" 2>&1 || { cat "$work/restore.log"; echo "FAIL: the locked restore failed" >&2; exit 1; }
taken=$(grep -oE '"ExCSS/[0-9.]+"' "$work/tree/src/TextToImage.Training/obj/project.assets.json" | head -n1 | tr -d '"')
[[ $taken == ExCSS/4.3.2 ]] || { echo "FAIL: with a feed serving ExCSS 4.3.1 the locked restore took $taken" >&2; exit 1; }
echo "ok: a feed serving ExCSS 4.3.1 (what Svg.Custom asks for) leaves the locked 4.3.2 in place"

sed -i 's|Include="ExCSS" Version="4.3.2"|Include="ExCSS" Version="4.3.1"|' "$work/tree/Directory.Packages.props"
if dotnet restore "$project" "${fallback[@]}" >"$work/restore.log" 2>&1; then
    echo "FAIL: a pin changed without its lock file restored" >&2; exit 1
fi
grep -q NU1004 "$work/restore.log" || { cat "$work/restore.log"; echo "FAIL: the refusal was not NU1004" >&2; exit 1; }
echo "ok: a pin changed without its lock file fails restore with NU1004"

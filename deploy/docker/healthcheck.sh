#!/usr/bin/env bash
# The images' HEALTHCHECK: healthy when an HTTP GET of the URL (http://127.0.0.1:PORT/PATH) answers 2xx.
# Plain bash (/dev/tcp): the .NET and CUDA base images have neither curl nor wget.
set -uo pipefail
url=${1:?usage: t2i-healthcheck http://127.0.0.1:PORT/PATH}
[[ $url =~ ^http://([^/:]+):([0-9]+)(/.*)?$ ]] || { echo "t2i-healthcheck: not an http://HOST:PORT/PATH URL: $url" >&2; exit 2; }
host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]} path=${BASH_REMATCH[3]:-/}
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
read -r -t 5 _ status _ <&3 || { echo "t2i-healthcheck: no answer from $url" >&2; exit 1; }
[[ $status == 2?? ]] || { echo "t2i-healthcheck: $url answered $status" >&2; exit 1; }

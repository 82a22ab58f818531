#!/usr/bin/env bash
# One picture per use of the model, for the README: text-to-image, unconditional generation,
# image-to-image (input and output), inpainting (input, mask, output) and upscaling (input and
# output), and prompts the model never saw verbatim (paraphrases of its training captions), all
# through the t2i command line.
#   deploy/readme-pictures.sh MODEL_DIR OUT_DIR
# Prompts and seeds can be changed by environment variables (PROMPT, EDIT_PROMPT, INPAINT_PROMPT,
# SEED, and PARAPHRASES: prompts separated by '|'). Needs python3 (standard library only) to draw the mask and read sizes.
set -euo pipefail
if [[ $# -ne 2 ]]; then echo "usage: $0 MODEL_DIR OUT_DIR" >&2; exit 2; fi
model=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

prompt=${PROMPT:-"grinning cat with smiling eyes, flat style"}
edit_prompt=${EDIT_PROMPT:-"angry face, flat style"}
inpaint_prompt=${INPAINT_PROMPT:-"green heart, flat style"}
seed=${SEED:-1}
paraphrases=${PARAPHRASES:-"a smiling cat|an angry red face|a yellow banana|a green heart shape|a ripe tomato|a black and white bird from Antarctica|a cup of hot coffee|a friendly ghost"}

t2i() { deploy/t2i "$@"; }   # builds the command line first when its sources changed

# The base stage's resolution (the upscale's input size), from the model folder.
base=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1])); s=i["stages"][0]; print(s.get("resolution") or json.load(open(sys.argv[2]+"/"+s["folder"]+"/config.json"))["sample_size"])' \
  "$model/model_index.json" "$model" 2>/dev/null || true)

# 1. Text to image, and 2. unconditional generation (the empty prompt).
t2i generate --model "$model" --prompt "$prompt" --seed "$seed" --out "$out/generation.png"
t2i generate --model "$model" --prompt "" --seed "$((seed + 1))" --out "$out/unconditional.png"

# 3. Image to image: the generated picture, edited towards another prompt.
cp "$out/generation.png" "$out/edit-input.png"
t2i edit --model "$model" --image "$out/edit-input.png" --prompt "$edit_prompt" --strength 0.6 --seed "$((seed + 2))" --out "$out/edit-output.png"

# 4. Inpainting: the centre square of the generated picture repainted, with RePaint resampling.
cp "$out/generation.png" "$out/inpaint-input.png"
python3 - "$out/inpaint-input.png" "$out/inpaint-mask.png" <<'PY'
import struct, sys, zlib
with open(sys.argv[1], "rb") as f:
    head = f.read(24)
width, height = struct.unpack(">II", head[16:24])
rows = b"".join(b"\x00" + bytes(255 if width // 4 <= x < 3 * width // 4 and height // 4 <= y < 3 * height // 4 else 0
                                 for x in range(width)) for y in range(height))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
with open(sys.argv[2], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
t2i edit --model "$model" --image "$out/inpaint-input.png" --mask "$out/inpaint-mask.png" --prompt "$inpaint_prompt" \
  --jump-length 5 --jump-count 2 --seed "$((seed + 3))" --out "$out/inpaint-output.png"

# 5. Upscaling: a picture at the base resolution taken through the super-resolution stages.
t2i generate --model "$model" --prompt "$prompt" --seed "$((seed + 4))" ${base:+--resolution "$base"} --out "$out/upscale-input.png"
t2i upscale --model "$model" --image "$out/upscale-input.png" --prompt "$prompt" --seed "$((seed + 5))" --out "$out/upscale-output.png"

# 6. Paraphrases: prompts that are not training captions, one picture each (paraphrase-1.png, ...).
IFS='|' read -r -a paraphrase_list <<< "$paraphrases"
for i in "${!paraphrase_list[@]}"; do
  t2i generate --model "$model" --prompt "${paraphrase_list[$i]}" --seed "$seed" --out "$out/paraphrase-$((i + 1)).png"
done

ls -l "$out"

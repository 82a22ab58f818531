#!/usr/bin/env python3
"""Makes t5-tiny-encoder/, the golden fixture of T5EncoderParityTests.

transformers' own T5 encoder blocks (src/transformers/models/t5/modeling_t5.py at commit
6b8b757dfcb582379a64f013cdce46c43629f2b0: T5LayerNorm, T5DenseGatedActDense, T5LayerFF, T5Attention,
T5LayerSelfAttention, T5Block, taken out of the file with `ast` and run unchanged) in a t5-v1_1-shaped
configuration scaled down (CONFIG), random weights, one forward pass over a padded and a full 77-token row.
T5EncoderModel around the blocks is only glue (T5Stack's encoder path): shared embedding, the additive
mask (1 - mask) * finfo(float32).min, the position bias computed by block 0 and handed on, final RMSNorm;
it is written out below, as T5Stack does it.

    config.json                      transformers' T5Config fields for CONFIG
    model.safetensors.index.json     two shards, as sharded checkpoints (IF's text_encoder/) have them
    model-0000N-of-00002.safetensors the weights (transformers' names, F32, shared.weight and its tied
                                     copy encoder.embed_tokens.weight both stored, as in IF's index)
    io.safetensors                   input_ids, attention_mask (int64), expected (float32 last hidden state),
                                     expected_bf16 (the same run with every weight in bfloat16)

Usage (Debian 12: apt-get install python3-torch; a transformers checkout at the commit above):

    /usr/bin/python3 make_t5_encoder_fixture.py --modeling-t5 TRANSFORMERS/src/transformers/models/t5/modeling_t5.py
    /usr/bin/python3 make_t5_encoder_fixture.py --modeling-t5 ... --check    # remakes it in a temp folder and compares

The activation is transformers' gelu_new (activations.NewGELUActivation), written out below with its formula.
"""
import argparse, ast, copy, json, math, os, struct, sys, tempfile
from typing import Optional
import torch
from torch import nn

COMMIT = "6b8b757dfcb582379a64f013cdce46c43629f2b0"
CLASSES = ["T5LayerNorm", "T5DenseGatedActDense", "T5LayerFF", "T5Attention", "T5LayerSelfAttention", "T5Block"]
CONFIG = {
    "architectures": ["T5EncoderModel"], "d_ff": 40, "d_kv": 8, "d_model": 32, "dense_act_fn": "gelu_new",
    "dropout_rate": 0.1, "feed_forward_proj": "gated-gelu", "is_encoder_decoder": True, "is_gated_act": True,
    "layer_norm_epsilon": 1e-06, "model_type": "t5", "num_decoder_layers": 3, "num_heads": 4, "num_layers": 3,
    "relative_attention_max_distance": 128, "relative_attention_num_buckets": 32, "tie_word_embeddings": False,
    "torch_dtype": "float32", "vocab_size": 100,   # t5-test-spiece.model's vocabulary, so T5TextEncoder tests use both
}
SEQ = 77

class NewGELUActivation(nn.Module):
    def forward(self, input):
        return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))

class Config:
    def __init__(self, values):
        self.__dict__.update(values)
        self.is_decoder = False

def load_blocks(path):
    source = open(path, encoding="utf-8").read()
    tree = ast.parse(source)
    found = {node.name: ast.get_source_segment(source, node) for node in tree.body if isinstance(node, ast.ClassDef)}
    missing = [name for name in CLASSES if name not in found]
    if missing: sys.exit(f"{path} lacks {missing}")
    scope = {"torch": torch, "nn": nn, "math": math, "Optional": Optional, "T5Config": Config,
             "ACT2FN": {"gelu_new": NewGELUActivation()}}
    for name in CLASSES: exec(found[name], scope)
    return scope

class Encoder(nn.Module):
    """T5Stack's encoder path (glue only; every layer is transformers')."""
    def __init__(self, scope, config):
        super().__init__()
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.block = nn.ModuleList([scope["T5Block"](config, has_relative_attention_bias=(i == 0), layer_idx=i) for i in range(config.num_layers)])
        self.final_layer_norm = scope["T5LayerNorm"](config.d_model, eps=config.layer_norm_epsilon)

    def forward(self, ids, mask):
        hidden = self.shared(ids)
        dtype = hidden.dtype
        extended = (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        bias = None
        for block in self.block:
            out = block(hidden, attention_mask=extended, position_bias=bias, cache_position=torch.arange(ids.shape[1]))
            hidden, bias = out[0], out[1]
        return self.final_layer_norm(hidden)

    def state(self):
        # transformers' names: shared.weight; encoder.block.N...; encoder.final_layer_norm.weight
        names = {"shared.weight": self.shared.weight}
        for name, p in self.named_parameters():
            if not name.startswith("shared."): names["encoder." + name] = p
        names["encoder.embed_tokens.weight"] = self.shared.weight
        return names

def randomise(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"): p.copy_(1 + 0.2 * torch.randn_like(p))
            elif "relative_attention_bias" in name: p.copy_(0.5 * torch.randn_like(p))
            elif name == "shared.weight": p.copy_(torch.randn_like(p))
            else: p.copy_(torch.randn_like(p) / math.sqrt(p.shape[1]))

def save_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        # struct, not numpy: Debian's python3-torch runs without python3-numpy
        data = struct.pack(f"<{t.numel()}{'f' if dtype == 'F32' else 'q'}", *t.flatten().tolist())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    if metadata: header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw))); f.write(raw)
        for b in blobs: f.write(b)

def make(modeling_t5, out):
    scope = load_blocks(modeling_t5)
    config = Config(CONFIG)
    model = Encoder(scope, config).eval()
    randomise(model)
    torch.manual_seed(1)
    ids = torch.randint(2, config.vocab_size, (2, SEQ))
    mask = torch.ones(2, SEQ, dtype=torch.int64)
    ids[0, 20] = 1; ids[0, 21:] = 0; mask[0, 21:] = 0      # 20 pieces, </s>, padding
    ids[1, SEQ - 1] = 1                                     # a full row: truncated prompt ending in </s>
    with torch.no_grad():
        expected = model(ids, mask)
        # A copy: rounding the weights to bfloat16 in place would change what the fixture stores.
        expected_bf16 = copy.deepcopy(model).to(torch.bfloat16)(ids, mask).float()
    os.makedirs(out, exist_ok=True)
    json.dump(CONFIG, open(os.path.join(out, "config.json"), "w"), indent=2, sort_keys=True)
    state = model.state()
    names = sorted(state)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-00002.safetensors"
        save_safetensors(os.path.join(out, file), {n: state[n] for n in shard}, {"format": "pt"})
        for n in shard: weight_map[n] = file; total += state[n].numel() * 4
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2, sort_keys=True)
    save_safetensors(os.path.join(out, "io.safetensors"),
                     {"input_ids": ids, "attention_mask": mask, "expected": expected, "expected_bf16": expected_bf16},
                     {"transformers_commit": COMMIT, "torch": torch.__version__})
    print(f"wrote {out}: |expected| max {expected.abs().max():.3f}, bf16 vs f32 max {(expected_bf16 - expected).abs().max():.4f}")

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--modeling-t5", required=True)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "t5-tiny-encoder"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check: return make(args.modeling_t5, args.out)
    with tempfile.TemporaryDirectory() as tmp:
        make(args.modeling_t5, tmp)
        for name in sorted(os.listdir(args.out)):
            same = open(os.path.join(tmp, name), "rb").read() == open(os.path.join(args.out, name), "rb").read()
            print(f"{name}: {'identical' if same else 'DIFFERENT'}")

if __name__ == "__main__":
    main()

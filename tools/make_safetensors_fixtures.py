#!/usr/bin/python3
"""Safetensors interchange fixtures between PyTorch and ember, and the fuzzer's seeds.

Run with Debian's python3-torch (1.13):
  /usr/bin/python3 tools/make_safetensors_fixtures.py          write everything, then check
                                                               the ember-written fixture
  /usr/bin/python3 tools/make_safetensors_fixtures.py --check FILE
                                                               load an ember-written FILE into
                                                               torch and compare it with the
                                                               tensors tests/framework/
                                                               test_safetensors.cpp saves

Debian has no `safetensors` package, so this script reads and writes the format itself, by
its published specification: an 8-byte little-endian header length N, N bytes of JSON
({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}),
then the raw little-endian tensor bytes, offsets counted from the end of the header.
The writer lays tensors out as the reference implementation does (larger dtypes first,
then by name) and pads the header with spaces to a multiple of 8; the reader enforces the
reference reader's rules (header at most 100 MB and starting with '{', offsets tiling the
data region exactly, sizes equal to shape x dtype size).

Writes, under tests/fixtures/safetensors/:
  dtypes.safetensors      F32 (with inf, nan, -0.0, a subnormal), F64, I64 (both extremes),
                          BOOL, 0-d, empty and transposed tensors; header keys in sorted order,
                          which differs from the data order
  sequential.safetensors  the state_dict of nn.Sequential(Linear(4, 3), BatchNorm1d(3), ReLU(),
                          Linear(3, 2)) after one training-mode forward pass
  expected.txt            the same tensors in tests/parity/fixture_reader.h's text format, one
                          case per file: `param keys` lists the header's tensor keys in file
                          order, `param metadata.KEY VALUE` the metadata
and seed inputs for the fuzzer under tests/fuzz/corpus/ (valid files and broken ones).
tests/fixtures/safetensors/ember_written.safetensors is written by ember (the C++ test
prints how to refresh it); this script only checks it.
"""

import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import tensor_line  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIXTURE_DIR = os.path.join(ROOT, "tests", "fixtures", "safetensors")
CORPUS_DIR = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_HEADER = 100_000_000

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "BOOL": torch.bool,
          "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32, "I16": torch.int16,
          "I8": torch.int8, "U8": torch.uint8}
CODES = {dtype: code for code, dtype in DTYPES.items()}


# ---- the format, by its specification ----

def tensor_bytes(x):
    x = x.detach().contiguous()
    if x.numel() == 0:
        return b""
    return x.reshape(-1).view(torch.uint8).numpy().tobytes()


def encode(tensors, metadata=None, sort_header_keys=False):
    """The bytes of a safetensors file holding `tensors` (name -> tensor)."""
    order = sorted(tensors, key=lambda name: (-tensors[name].element_size(), name))
    header, data, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in order:
        raw = tensor_bytes(tensors[name])
        header[name] = {"dtype": CODES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        data.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), sort_keys=sort_header_keys).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(data)


def no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate keys in {keys}")
    return dict(pairs)


def decode(blob):
    """(tensors in header order, metadata) from a file image; raises ValueError if invalid."""
    if len(blob) < 8:
        raise ValueError("shorter than the header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        raise ValueError(f"bad header length {n} for {len(blob)} bytes")
    text = blob[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        raise ValueError("header does not start with '{'")
    header = json.loads(text, object_pairs_hook=no_duplicates)
    data = blob[8 + n:]

    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("metadata must map strings to strings")
    tensors, spans = {}, []
    for name, info in header.items():
        if set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{name}: fields {sorted(info)}")
        dtype = DTYPES[info["dtype"]]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        if not all(isinstance(s, int) and s >= 0 for s in shape) or not 0 <= begin <= end:
            raise ValueError(f"{name}: bad shape {shape} or offsets {begin, end}")
        numel = 1
        for size in shape:
            numel *= size
        if end - begin != numel * torch.empty((), dtype=dtype).element_size():
            raise ValueError(f"{name}: {end - begin} bytes for {info['dtype']} {shape}")
        spans.append((begin, end, name))
        if numel == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            raw = bytearray(data[begin:end])
            tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(shape)
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            raise ValueError(f"{name}: starts at {begin}, expected {covered} (hole or overlap)")
        covered = end
    if covered != len(data):
        raise ValueError(f"tensors end at {covered} but the data region has {len(data)} bytes")
    return tensors, metadata


# ---- fixtures written by torch ----

def dtypes_case():
    g = torch.Generator().manual_seed(20240601)
    tensors = {
        "f32": torch.randn(2, 3, generator=g),
        "f32_special": torch.tensor([float("inf"), float("-inf"), float("nan"), -0.0, 1e-45,
                                     3.4028235e38], dtype=torch.float32),
        "f64": torch.randn(3, 2, 2, generator=g, dtype=torch.float64),
        "i64": torch.tensor([-2**63, -1, 0, 1, 2**63 - 1], dtype=torch.int64),
        "scalar_f64": torch.tensor(3.141592653589793, dtype=torch.float64),
        "scalar_i64": torch.tensor(42, dtype=torch.int64),
        "empty_f32": torch.zeros(0, 4),
        "empty_i64": torch.zeros(0, dtype=torch.int64),
        "mask": torch.rand(2, 3, generator=g) < 0.5,
        "transposed": torch.randn(4, 3, generator=g).t(),
    }
    return tensors, {"format": "pt", "source": "torch-" + torch.__version__.split("+")[0]}


def sequential_case():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3),
                                torch.nn.ReLU(), torch.nn.Linear(3, 2))
    model(torch.randn(5, 4))  # moves the running statistics and num_batches_tracked
    return dict(model.state_dict()), {"format": "pt"}


def write_fixtures():
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    lines = ["# ember safetensors fixtures. Written by tools/make_safetensors_fixtures.py "
             f"with torch {torch.__version__}; do not edit."]
    cases = {"dtypes": (dtypes_case(), True), "sequential": (sequential_case(), False)}
    for name, ((tensors, metadata), sort_keys) in cases.items():
        blob = encode(tensors, metadata, sort_header_keys=sort_keys)
        with open(os.path.join(FIXTURE_DIR, name + ".safetensors"), "wb") as f:
            f.write(blob)
        decoded, _ = decode(blob)  # the file as a reader sees it, in header order
        lines.append(f"case {name}")
        lines.append("op load_safetensors")
        lines.append("param keys " + " ".join(decoded))
        for key, value in sorted(metadata.items()):
            lines.append(f"param metadata.{key} {value}")
        for key, x in decoded.items():
            assert same(x, tensors[key]), key
            lines.append(tensor_line(key, tensors[key]))
        lines.append("end")
    with open(os.path.join(FIXTURE_DIR, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- the file ember writes (tests/framework/test_safetensors.cpp builds the same) ----

def ember_expected():
    tensors = {
        "weight": (torch.arange(12, dtype=torch.float64) * 0.25 - 1.5).float().reshape(3, 4),
        "bias": torch.tensor([1.0 / 3.0, -2.0 / 3.0, 1e-300, -0.0], dtype=torch.float64),
        "step": torch.tensor(1234567890123, dtype=torch.int64),
        "ids": torch.tensor([[-2**63, -1], [0, 2**63 - 1]], dtype=torch.int64),
        "empty": torch.zeros(2, 0),
        "mask": torch.tensor([True, False, True]),
        "grad_param": torch.tensor([0.5, -0.25]),
    }
    return tensors, {"format": "pt", "epoch": "3"}


def same(a, b):
    return (a.dtype == b.dtype and a.shape == b.shape
            and tensor_bytes(a) == tensor_bytes(b))


def check(path):
    """Loads an ember-written file into torch and compares it with ember_expected()."""
    with open(path, "rb") as f:
        blob = f.read()
    tensors, metadata = decode(blob)
    (n,) = struct.unpack("<Q", blob[:8])
    expected, expected_metadata = ember_expected()
    problems = []
    if n % 8 != 0:
        problems.append(f"header length {n} is not a multiple of 8")
    if list(tensors) != list(expected):
        problems.append(f"keys {list(tensors)} != {list(expected)}")
    if metadata != expected_metadata:
        problems.append(f"metadata {metadata} != {expected_metadata}")
    for key, x in expected.items():
        if key in tensors and not same(tensors[key], x):
            problems.append(f"{key}: {tensors[key]} != {x}")
    if problems:
        print(f"{path}: FAILED\n  " + "\n  ".join(problems))
        return False
    print(f"{path}: ok ({len(tensors)} tensors, metadata {metadata}) loads into torch "
          f"{torch.__version__} as expected")
    return True


# ---- fuzzer seeds ----

def raw_file(header_text, data=b"", length=None):
    text = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def write_corpus():
    os.makedirs(CORPUS_DIR, exist_ok=True)
    f32 = b"\x00\x00\x80\x3f\x00\x00\x00\x40"
    entry = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    seeds = {
        "valid_small": encode({"a": torch.tensor([1.0, 2.0])}, {"format": "pt"}),
        "valid_dtypes": encode({"f": torch.tensor([[0.5]], dtype=torch.float64),
                                "i": torch.tensor(7), "b": torch.tensor([True, False]),
                                "e": torch.zeros(0, 2), "s": torch.tensor(1.5)}),
        "valid_empty": raw_file("{}      "),
        "truncated": encode({"a": torch.tensor([1.0, 2.0, 3.0])})[:-3],
        "huge_header_length": raw_file(entry, f32, length=2**63),
        "bad_json": raw_file('{"a":{"dtype":"F32",', f32),
        "not_object": raw_file("[1,2]   "),
        "overlap": raw_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                            '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32),
        "hole": raw_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32),
        "wrong_size": raw_file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32),
        "unknown_dtype": raw_file('{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}', f32),
        "duplicate_key": raw_file(entry[:-1] + "," + entry[1:], f32),
        "metadata_number": raw_file('{"__metadata__":{"epoch":3}}'),
        "bool_byte": raw_file('{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}',
                              b"\x01\x02"),
        "numel_overflow": raw_file('{"a":{"dtype":"F32","shape":[4294967296,4294967296],'
                                   '"data_offsets":[0,0]}}'),
    }
    for name, blob in seeds.items():
        with open(os.path.join(CORPUS_DIR, name + ".safetensors"), "wb") as f:
            f.write(blob)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    write_fixtures()
    write_corpus()
    ember_file = os.path.join(FIXTURE_DIR, "ember_written.safetensors")
    if not os.path.exists(ember_file):
        sys.exit(f"{ember_file} is missing: run ember_tests \"[serialization]\" and copy the "
                 "file its failure message names")
    sys.exit(0 if check(ember_file) else 1)


if __name__ == "__main__":
    main()

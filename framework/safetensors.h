#pragma once

#include <cstddef>
#include <string>

#include "framework/state_dict.h"

namespace ember {

// Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors),
// which Python's `safetensors.torch.load_file` reads into PyTorch:
//   8 bytes      N, the JSON header length, little-endian u64
//   N bytes      UTF-8 JSON: {"__metadata__": {str: str},
//                             "name": {"dtype": "F32", "shape": [2, 3],
//                                      "data_offsets": [begin, end]}, ...}
//                ember pads it with spaces so the data starts 8-byte aligned
//   the rest     raw little-endian tensor bytes; offsets count from its start
// dtypes: F32, F64, I64 and BOOL (ember's float32, float64, int64, bool).
//
// What the reader accepts is what the reference reader accepts: the tensors,
// sorted by offset, tile the data region exactly (no overlap, no hole, no
// trailing bytes), each entry has exactly the three fields above, and the
// header is at most 100 MB. It also refuses duplicate keys, BOOL bytes other
// than 0 and 1, and dtypes ember has no type for (F16, BF16, I32, ...).

// Writes `dict` atomically: the bytes go to a temporary file beside `path`,
// which is flushed to disk and renamed over `path`, so a crash or an error at
// any point leaves the previous file as it was. Tensors are written detached
// and contiguous whatever their layout; keys keep the StateDict's order in the
// header and the data. A symlink at `path` is replaced, not followed.
// Throws ember::Error (naming the file and the system's reason) when a tensor
// is undefined, a key is "__metadata__" or not UTF-8, or any file operation
// fails; the temporary file is removed first.
void save_safetensors(const StateDict& dict, const std::string& path);

// Reads a whole file: tensors in the header's order (for files ember wrote,
// the order they were saved in) and the "__metadata__" strings.
// Throws ember::Error naming the file, the tensor and the broken rule for a
// file that is truncated, corrupt or hostile; validation happens before any
// tensor byte is read, and nothing outside the file is ever read.
StateDict load_safetensors(const std::string& path);

// The bytes save_safetensors writes, in memory. Throws as save_safetensors
// does for tensors and keys it cannot write.
std::string serialize_safetensors(const StateDict& dict);

// Parses a complete safetensors image of `size` bytes at `data` (no alignment
// needed). `source_name` names the input in error messages. Throws as
// load_safetensors does.
StateDict parse_safetensors(const void* data, size_t size, const std::string& source_name);

}  // namespace ember

// The persist file: one mapping a line, "ADDRESS NAME". It is a log: a rewrite lists the
// mappings least recently used first, and new mappings are appended after them, so a later
// line wins over an earlier one for its address and for its name (the address was given to
// another name; the name moved to another address). Loading it in order restores the
// mappings and their recency. Lines starting with '#' are comments.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "plugins/fakeip/pool.h"

namespace cxxdns::plugins {

using Mapping = std::pair<std::string, std::string>;  // address text, name

// Writes the pools' mappings to `path` atomically (temp file in the same directory, fsync,
// rename). Empty on success, else the reason.
std::string save_mappings(const std::string& path, const std::vector<FakePool*>& pools);

// Appends `lines` to `path` (created if missing) and syncs it. Empty on success.
std::string append_mappings(const std::string& path, const std::vector<Mapping>& lines);

struct Loaded {
  size_t mappings = 0;  // held by the pools after loading
  size_t lines = 0;     // mapping lines the file has (what a rewrite would shrink)
};

// Loads `path` into the (empty) pools, each mapping used at `now_s`. A missing file is not
// an error. A damaged one (a line that does not read, an address of no pool or not usable, a
// bad name) is reported with log::warning naming file and line, and the pools are left
// empty. A last line without its newline (a write cut short) is ignored with a warning.
Loaded load_mappings(const std::string& path, const std::vector<FakePool*>& pools,
                     uint64_t now_s = 0);

}  // namespace cxxdns::plugins

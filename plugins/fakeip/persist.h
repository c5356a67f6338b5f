// The persist file: one mapping a line, "ADDRESS NAME", least recently used first, so that
// loading it in order restores the recency as well. Lines starting with '#' are comments.
#pragma once

#include <string>
#include <vector>

#include "plugins/fakeip/pool.h"

namespace cxxdns::plugins {

// Writes the pools' mappings to `path` atomically (temp file in the same directory, fsync,
// rename). Empty on success, else the reason.
std::string save_mappings(const std::string& path, const std::vector<FakePool*>& pools);

// Loads `path` into the (empty) pools. A missing file is not an error. A damaged one
// (bad line, address of no pool, a name or address twice) is reported with log::warning
// naming file and line, and the pools are left empty. Returns the mappings loaded.
size_t load_mappings(const std::string& path, const std::vector<FakePool*>& pools);

}  // namespace cxxdns::plugins

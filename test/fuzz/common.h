// Shared by the fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fuzz {

// Sends stdout (log lines) to /dev/null unless FUZZ_VERBOSE is set: libFuzzer reports on
// stderr, and thousands of warnings about bad input would only slow it down.
void quiet_stdout();

// A file under a private temp directory holding `data`, rewritten on each call.
const std::string& temp_file(const uint8_t* data, size_t size);

}  // namespace fuzz

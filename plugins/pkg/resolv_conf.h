// The search list of a resolv.conf, read as CoreDNS reads it (miekg/dns's
// ClientConfigFromFile): the last `search` or `domain` line wins, `domain` being a list of
// one; comments start with '#' or ';'. For autopath's RESOLV-CONF and for the node's search
// list that kubernetes hands to autopath.
#pragma once

#include <string>
#include <vector>

namespace cxxdns::pkg {

// The domains, canonical ("example.com."), in their order. False (with `error` set) when
// the file cannot be read.
bool read_search_list(const std::string& path, std::vector<std::string>& search,
                      std::string& error);

}  // namespace cxxdns::pkg

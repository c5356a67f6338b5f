// The functions a template calls (Go's text/template builtins, and CoreDNS's parseInt), on
// values already evaluated. `and` and `or` evaluate lazily, so the executor runs them.
#pragma once

#include <string>
#include <vector>

#include "plugins/template/gotmpl_value.h"

namespace cxxdns::plugins::gotmpl {

// Calls `name`. False with the error as Go words it: an argument that does not fit the
// function ("wrong type for value; expected string; got int"), or the function's own error,
// which the executor prefixes with "error calling NAME: ".
struct CallError {
  std::string text;
  bool from_function = false;  // Go's "error calling NAME: " applies
};
bool call_function(const std::string& name, const std::vector<Value>& args, Value& out,
                   CallError& error);

// fmt.Sprintf for the verbs templates use (%s %v %d %x %X %o %b %c %q %t %f %e %g %%) with
// flags, width and precision; Go's %!verb(type=value), %!verb(MISSING) and %!(EXTRA ...) too.
std::string sprintf(const std::string& format, const std::vector<Value>& args);
// strconv.Quote for ASCII and UTF-8 text.
std::string quote(const std::string& s);

}  // namespace cxxdns::plugins::gotmpl

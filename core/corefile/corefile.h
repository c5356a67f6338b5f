// The Corefile model: what the lexer and parser produce from CoreDNS's configuration
// language (Caddy v1 syntax), before any plugin looks at it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::corefile {

// One word of the Corefile, with where it came from (after import and snippet expansion
// the file is the file the token was written in, so errors point at the real line).
struct Token {
  std::string text;  // env placeholders and snippet args already substituted, quotes removed
  std::string file;  // path as given to the parser (e.g. "Corefile" or "/etc/coredns/Corefile")
  int line = 0;      // 1-based
  bool quoted = false;
};

// A line of a server block: `name arg arg ... [{ nested lines }]`.
// Inside a block each line is again a Directive (name = first token of the line).
struct Directive {
  Token name;
  std::vector<Token> args;
  std::vector<Directive> block;  // the lines between `{` and `}` when has_block
  bool has_block = false;
};

// One key of a server block, normalized as CoreDNS does: `dns://example.org:1053`
// gives transport "dns", zone "example.org.", port 1053. A CIDR key such as 10.0.0.0/8
// expands to one key per reverse zone (10.in-addr.arpa.).
struct ServerKey {
  std::string transport = "dns";  // dns, tls, https, grpc (the scheme, lower case)
  std::string zone;               // lower-case FQDN with trailing dot; "." for the root
  std::optional<uint16_t> port;   // none when the key names no port (-dns.port applies)
  Token token;                    // the key as written, for error messages
};

struct ServerBlock {
  std::vector<ServerKey> keys;
  std::vector<Directive> directives;  // in the order written
};

// Every error of the Corefile: what() is CoreDNS's text, `FILE:LINE - Error during parsing: MSG`.
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& file, int line, const std::string& msg);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& message() const { return msg_; }

 private:
  std::string file_;
  int line_;
  std::string msg_;
};

struct ParseOptions {
  // When set, the first token of each line directly inside a server block must satisfy it,
  // else ParseError "Unknown directive 'NAME'" at that token's line.
  std::function<bool(std::string_view)> is_directive;
  // Environment lookup for {$VAR} and {%VAR%}; defaults to getenv. Unset variables become "".
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Splits Corefile text into words (no env, import or snippet processing): the lexer that
// parse() runs on every file. ParseError on an unterminated quote.
std::vector<Token> tokenize(std::string_view text, const std::string& file);

// Parses Corefile text. `file` names it in tokens and errors; relative imports resolve
// against the directory of `file` (or the current directory when it has none).
std::vector<ServerBlock> parse(std::string_view text, const std::string& file,
                               const ParseOptions& opts = {});

// Reads and parses a file; a missing or unreadable file is a ParseError naming it.
std::vector<ServerBlock> parse_file(const std::string& path, const ParseOptions& opts = {});

// Normalizes one server block key (`.`, `example.org:1053`, `dns://.:53`, `10.0.0.0/8`,
// `fd00::/64`, `[::1]`...) into one or more ServerKeys; ParseError on a bad key.
std::vector<ServerKey> normalize_key(const Token& key);

}  // namespace cxxdns::corefile

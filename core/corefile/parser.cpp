// The Corefile parser: Caddy v1's grammar as CoreDNS uses it (coredns/caddy caddyfile/parse.go),
// building a tree of directives instead of Caddy's flat token lists, plus import, snippets and
// environment substitution, all resolved here so plugins only ever see final tokens.
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/corefile/corefile.h"

namespace cxxdns::corefile {

ParseError::ParseError(const std::string& file, int line, const std::string& msg)
    : std::runtime_error(file + ":" + std::to_string(line) + " - Error during parsing: " + msg),
      file_(file),
      line_(line),
      msg_(msg) {}

namespace {

namespace fs = std::filesystem;

// Caddy has no cycle detection and caps expansions at 1000 instead; cycles are found exactly
// here, so this cap only stops snippets that import each other exponentially often.
constexpr int kMaxImports = 10000;
// Bounds the recursion of nested blocks, so a hostile file cannot overflow the stack.
constexpr int kMaxDepth = 1000;

// A token plus what the grammar needs: whether it starts a line in its source, and which
// import frame (file or snippet expansion) it came through, to detect import cycles.
struct Tok {
  Token t;
  bool line_start = false;
  int frame = 0;
};

struct Frame {
  std::string node;   // canonical file path, or "(name)" for a snippet
  std::string label;  // how the frame is named in a cycle error
  int parent = -1;
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// Go's error texts ("open F: no such file or directory"), since CoreDNS shows those.
std::string go_errno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Reads a whole file; on failure returns the error text instead.
std::optional<std::string> read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path + ": " + go_errno(errno);
  std::optional<std::string> err;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = "read " + path + ": " + go_errno(errno);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return err;
}

// Identity of a file for cycle detection, so `a.conf`, `./a.conf` and a symlink agree.
std::string canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path(path).lexically_normal().string() : p.string();
}

// Caddy v1's replaceEnvVars: {$NAME} and {%NAME%} anywhere in a word; an empty name or an
// unclosed placeholder stays literal.
std::string expand_env(const std::string& s, const Getenv& getenv) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '{' && i + 1 < s.size() && (s[i + 1] == '$' || s[i + 1] == '%')) {
      std::string_view close = s[i + 1] == '$' ? "}" : "%}";
      size_t end = s.find(close, i + 2);
      if (end != std::string::npos && end > i + 2) {
        out += getenv(s.substr(i + 2, end - i - 2)).value_or("");
        i = end + close.size();
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// {args[N]} placeholders of an imported snippet or file (Caddy v2's import arguments).
std::string expand_args(const std::string& s, const std::vector<std::string>& args) {
  static constexpr std::string_view kOpen = "{args[";
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, kOpen.size(), kOpen) == 0) {
      size_t j = i + kOpen.size();
      size_t index = 0;
      bool digits = false;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        index = index < 100000 ? index * 10 + static_cast<size_t>(s[j] - '0') : index;
        digits = true;
        ++j;
      }
      if (digits && s.compare(j, 2, "]}") == 0) {
        if (index < args.size()) out += args[index];
        i = j + 2;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// Caddy decides "new line" by comparing the previous token's last line with this one's first.
std::vector<Tok> with_lines(std::vector<Token> tokens, int frame) {
  std::vector<Tok> out;
  out.reserve(tokens.size());
  int prev_end = 0;
  for (Token& t : tokens) {
    bool line_start = out.empty() || prev_end < t.line;
    prev_end = t.line + static_cast<int>(std::count(t.text.begin(), t.text.end(), '\n'));
    out.push_back({std::move(t), line_start, frame});
  }
  return out;
}

bool is_word(const Tok& t, std::string_view word) {
  return !t.t.quoted && t.t.text == word;
}

class Parser {
 public:
  Parser(const ParseOptions& opts, std::string_view text, const std::string& file) : opts_(opts) {
    getenv_ =
        opts.getenv ? opts.getenv : [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
    frames_.push_back({canonical(file), file, -1});
    sources_.push_back({with_lines(tokenize(text, file), 0), 0});
  }

  std::vector<ServerBlock> run() {
    std::vector<ServerBlock> blocks;
    while (peek()) parse_block(blocks);
    return blocks;
  }

 private:
  // Imports push their tokens as a new source; reading resumes in the importer when they run out.
  struct Source {
    std::vector<Tok> toks;
    size_t pos = 0;
  };

  const Tok* peek() {
    while (true) {
      Source& s = sources_.back();
      if (s.pos < s.toks.size()) return &s.toks[s.pos];
      if (sources_.size() == 1) return nullptr;
      sources_.pop_back();
    }
  }

  Tok take() {
    const Tok* t = peek();
    last_ = t->t;
    ++sources_.back().pos;
    return *t;
  }

  [[noreturn]] void fail(const Token& at, const std::string& msg) const {
    throw ParseError(at.file, at.line, msg);
  }
  // Like Caddy, an early end of input is reported at the last token read.
  [[noreturn]] void fail_eof() const { fail(last_, "Unexpected EOF"); }

  std::string env(const std::string& s) const { return expand_env(s, getenv_); }

  // Keys up to the end of their line (or `{`), then a snippet body or a server block.
  void parse_block(std::vector<ServerBlock>& blocks) {
    std::vector<Token> keys = read_keys();
    if (keys.empty()) {
      if (const Tok* t = peek()) fail(t->t, "Expected a server block key before '{'");
      return;  // only imports that brought nothing
    }

    const std::string& first = keys[0].text;
    if (keys.size() == 1 && first.size() >= 2 && first.front() == '(' && first.back() == ')') {
      define_snippet(keys[0]);
      return;
    }

    ServerBlock block;
    for (const Token& key : keys)
      for (ServerKey& k : normalize_key(key)) block.keys.push_back(std::move(k));
    const Tok* open = peek();
    bool braced = open && is_word(*open, "{");
    if (braced) take();
    // Without braces (Caddy's single-server form) the directives run to the end of input.
    block.directives = parse_lines(true, braced);
    blocks.push_back(std::move(block));
  }

  // A block's keys: words up to the end of their line (a trailing comma continues them on
  // the next) or up to `{`; imports among them are read in place.
  std::vector<Token> read_keys() {
    std::vector<Token> keys;
    bool expecting = false;  // a trailing comma continues the keys on the next line
    while (const Tok* t = peek()) {
      if (t->line_start && !keys.empty() && !expecting) break;
      if (t->line_start && is_word(*t, "import")) {
        do_import();
        continue;
      }
      if (is_word(*t, "{")) {
        if (expecting) fail(t->t, "Expected another address but had '{' - check for extra comma");
        break;
      }
      if (is_word(*t, "}")) fail(t->t, "Unexpected '}' because no matching opening brace");
      Token key = take().t;
      key.text = env(key.text);
      expecting = !key.text.empty() && key.text.back() == ',';
      if (expecting) key.text.pop_back();
      if (expecting && key.text.empty()) continue;  // a lone "," between keys
      keys.push_back(std::move(key));
    }
    if (expecting) fail_eof();
    return keys;
  }

  void define_snippet(const Token& key) {
    std::string name = key.text.substr(1, key.text.size() - 2);
    if (snippets_.count(name)) fail(key, "redeclaration of previously declared snippet " + name);
    const Tok* open = peek();
    if (!open) fail_eof();
    if (!is_word(*open, "{"))
      fail(open->t, "Syntax error: Unexpected token '" + open->t.text + "', expecting '{'");
    take();
    // The body is kept raw: imports, env and args are resolved where the snippet is used.
    std::vector<Tok> body;
    int depth = 1;
    while (true) {
      if (!peek()) fail_eof();
      Tok t = take();
      if (is_word(t, "{")) ++depth;
      if (is_word(t, "}") && --depth == 0) break;
      body.push_back(std::move(t));
    }
    snippets_[name] = std::move(body);
  }

  // The lines of a server block (top) or of a directive's block, up to the closing `}`
  // (braced) or the end of input.
  std::vector<Directive> parse_lines(bool top, bool braced) {
    std::vector<Directive> lines;
    while (const Tok* t = peek()) {
      if (is_word(*t, "}")) {
        if (!braced) fail(t->t, "Unexpected '}' because no matching opening brace");
        take();
        return lines;
      }
      // Caddy expands an import that starts any line; at the top of a server block also one
      // that directly follows its `{`.
      if ((top || t->line_start) && is_word(*t, "import")) {
        do_import();
        continue;
      }
      if (is_word(*t, "{")) fail(t->t, "Unexpected '{'");
      lines.push_back(parse_directive(top));
    }
    if (braced) fail_eof();
    return lines;
  }

  Directive parse_directive(bool top) {
    Directive d;
    d.name = take().t;
    d.name.text = env(d.name.text);
    if (top && opts_.is_directive && !opts_.is_directive(d.name.text))
      fail(d.name, "Unknown directive '" + d.name.text + "'");

    while (const Tok* t = peek()) {
      // Checked before the line break, as Caddy does: a `{` on the next line still opens
      // this directive's block.
      if (is_word(*t, "{") && !d.has_block) {
        take();
        if (++depth_ > kMaxDepth) fail(last_, "Blocks nested too deeply");
        d.has_block = true;
        d.block = parse_lines(false, true);
        --depth_;
        continue;
      }
      if (t->line_start) break;
      if (is_word(*t, "}")) {
        // Inside a block `}` may end a line; a server block must close on its own line.
        if (top) fail(t->t, "Unexpected '}' because no matching opening brace");
        break;
      }
      if (d.has_block) fail(t->t, "Unexpected '" + t->t.text + "' after '}'");
      Token arg = take().t;
      arg.text = env(arg.text);
      d.args.push_back(std::move(arg));
    }
    return d;
  }

  // Replaces `import PATTERN [ARGS...]` (the rest of its line) with the snippet's tokens or
  // the tokens of every file the pattern matches.
  void do_import() {
    Tok imp = take();
    std::vector<Token> words;
    while (const Tok* t = peek()) {
      if (t->line_start) break;
      words.push_back(take().t);
    }
    if (words.empty()) fail(imp.t, "Wrong argument count or unexpected line ending after 'import'");
    std::string pattern = env(words[0].text);
    if (pattern.empty()) fail(words[0], "Import requires a non-empty filepath");
    std::vector<std::string> args;
    for (size_t i = 1; i < words.size(); ++i) args.push_back(env(words[i].text));
    if (++imports_ > kMaxImports)
      fail(imp.t, "maximum number of imports (" + std::to_string(kMaxImports) + ") exceeded");

    if (auto snippet = snippets_.find(pattern); snippet != snippets_.end()) {
      std::string node = "(" + pattern + ")";
      int frame = enter(imp, node, node);
      std::vector<Tok> toks = snippet->second;
      for (Tok& t : toks) {
        t.t.text = expand_args(t.t.text, args);
        t.frame = frame;
      }
      if (!toks.empty()) toks[0].line_start = true;
      sources_.push_back({std::move(toks), 0});
      return;
    }
    import_files(imp, pattern, args);
  }

  void import_files(const Tok& imp, const std::string& pattern,
                    const std::vector<std::string>& args) {
    // Relative to the file the import is written in, not to the working directory.
    std::error_code ec;
    fs::path path(pattern);
    if (path.is_relative()) path = fs::absolute(imp.t.file, ec).parent_path() / path;
    std::string full = path.lexically_normal().string();

    std::vector<std::string> matches;
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH)
      fail(imp.t, "Failed to use import pattern " + pattern + ": glob error " + std::to_string(rc));
    // An empty glob is fine (an empty conf.d/), a missing named file is a typo.
    if (matches.empty() && pattern.find_first_of("*?[") == std::string::npos)
      fail(imp.t, "File to import not found: " + pattern);

    std::vector<Source> files;
    for (const std::string& file : matches) {
      struct stat st {};
      if (::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        fail(imp.t, "Could not import " + file + ": is a directory");
      int frame = enter(imp, canonical(file), file);
      std::string text;
      if (auto err = read_file(file, text)) fail(imp.t, "Could not import " + file + ": " + *err);
      std::vector<Tok> toks = with_lines(tokenize(text, file), frame);
      for (Tok& t : toks) t.t.text = expand_args(t.t.text, args);
      files.push_back({std::move(toks), 0});
    }
    // A stack: push the last file first so the first is read first.
    for (auto it = files.rbegin(); it != files.rend(); ++it) sources_.push_back(std::move(*it));
  }

  // Opens the import frame for `node` below the frame of the import token, unless `node` is
  // already one of its ancestors (an import cycle).
  int enter(const Tok& imp, const std::string& node, const std::string& label) {
    for (int f = imp.frame; f >= 0; f = frames_[f].parent) {
      if (frames_[f].node != node) continue;
      std::string chain = label;
      for (int g = imp.frame; g >= 0; g = frames_[g].parent) {
        chain.insert(0, " -> ");
        chain.insert(0, frames_[g].label);
      }
      fail(imp.t, "import cycle: " + chain);
    }
    frames_.push_back({node, label, imp.frame});
    return static_cast<int>(frames_.size() - 1);
  }

  const ParseOptions& opts_;
  Getenv getenv_;
  std::vector<Source> sources_;
  std::vector<Frame> frames_;
  std::map<std::string, std::vector<Tok>> snippets_;
  Token last_;
  int imports_ = 0;
  int depth_ = 0;
};

}  // namespace

std::vector<ServerBlock> parse(std::string_view text, const std::string& file,
                               const ParseOptions& opts) {
  return Parser(opts, text, file).run();
}

std::vector<ServerBlock> parse_file(const std::string& path, const ParseOptions& opts) {
  std::string text;
  struct stat st {};
  // Go's os.ReadFile, which CoreDNS uses, fails this way on a directory.
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw ParseError(path, 0, "read " + path + ": is a directory");
  if (auto err = read_file(path, text)) throw ParseError(path, 0, *err);
  return parse(text, path, opts);
}

}  // namespace cxxdns::corefile

// file DBFILE [ZONES...] { reload DURATION; fallthrough [ZONES...] }, as CoreDNS's file.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/file/file.h"

namespace {

using cxxdns::plugins::FileEntry;

FileEntry parse_entry(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& d,
                      cxxdns::pkg::Fallthrough& fall) {
  if (d.args.empty()) sc.arg_error(d.name);
  FileEntry e;
  e.path = d.args[0].text;
  e.zones = sc.zones_from(std::span(d.args).subspan(1));
  for (const auto& line : d.block) {
    const std::string& opt = line.name.text;
    if (opt == "reload") {
      if (line.args.size() != 1) sc.error(line.name, "reload duration value is expected");
      e.reload = sc.parse_duration(line.args[0]);
      if (e.reload.count() < 0) sc.error(line.args[0], "invalid negative duration for reload");
    } else if (opt == "fallthrough") {
      fall = cxxdns::pkg::Fallthrough::parse(sc, line);
    } else if (opt == "upstream") {
      // Deprecated in CoreDNS and ignored there: CNAME targets are always looked up.
    } else {
      sc.unknown_property(line.name);
    }
  }
  return e;
}

// The token naming `path` (for errors about that file).
const cxxdns::corefile::Token& path_token(const cxxdns::SetupContext& sc, const std::string& path) {
  for (const auto& d : sc.directives()) {
    if (!d.args.empty() && d.args[0].text == path) return d.args[0];
  }
  return sc.directives()[0].name;
}

// Reads the zone now: a zone file that does not parse is a Corefile error, as in CoreDNS;
// one that cannot be opened only a warning while a reload may still find it.
void load_first(cxxdns::SetupContext& sc, cxxdns::plugins::FileZone& z) {
  z.check();
  if (!z.error().empty()) sc.error(path_token(sc, z.path()), z.error());
  if (z.data().current()) return;
  if (z.reload().count() == 0) {
    sc.error(path_token(sc, z.path()), "open " + z.path() + ": no such file or directory");
  }
  // FileWatch has said it does not exist; the reload keeps looking.
}

}  // namespace

void cxxdns_register_file(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("file", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<FileEntry> entries;
    cxxdns::pkg::Fallthrough fall;
    for (const auto& d : sc.directives()) entries.push_back(parse_entry(sc, d, fall));
    cxxdns::pkg::TransferHub& hub = cxxdns::pkg::transfer_hub(sc);
    auto p =
        std::make_unique<File>(entries, std::move(fall), sc.services(), sc.services().workers, hub);
    for (auto& z : p->zones()) load_first(sc, *z);
    hub.transferers.push_back(p.get());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}

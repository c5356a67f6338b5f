#include <catch2/catch.hpp>

#include "core/http/server.h"
#include "core/plugin/config.h"
#include "plugins/ready/ready.h"

namespace {

// What a plugin that is not ready at once (kubernetes before its first sync) registers.
struct Slow {
  bool is_ready = false;
};

void add_slow(cxxdns::Config& cfg, const char* name, Slow& s) {
  cfg.lifecycle.readiness.push_back({name, [&s] { return s.is_ready; }});
}

}  // namespace

TEST_CASE("ready lists the plugins not ready, sorted, then answers OK", "[ready]") {
  cxxdns::Config cfg;
  cfg.services.config = &cfg;
  Slow kube, file, kube2;
  add_slow(cfg, "kubernetes", kube);
  add_slow(cfg, "file", file);
  add_slow(cfg, "kubernetes", kube2);  // the same plugin in another block

  auto http = std::make_shared<cxxdns::http::HttpServer>("127.0.0.1:0");
  cxxdns::plugins::Ready ready(http, cfg.services);
  uv_loop_t loop;
  uv_loop_init(&loop);
  cxxdns::ControlInfo control{&loop, 1};
  ready.start(control);

  auto r = ready.check();
  CHECK(r.status == 503);
  CHECK(r.body == "file,kubernetes");  // as CoreDNS: sorted, comma separated, once each
  CHECK(http->respond("GET /ready HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 503 "));
  file.is_ready = true;
  kube.is_ready = true;
  CHECK(ready.check().body == "kubernetes");  // the other block's instance still waits
  kube2.is_ready = true;
  r = ready.check();
  CHECK(r.status == 200);
  CHECK(r.body == "OK");
  // Once ready, a plugin is not asked again (CoreDNS's default).
  file.is_ready = false;
  CHECK(ready.check().status == 200);

  ready.stop();
  CHECK(ready.check().status == 503);
  CHECK(ready.check().body == "Shutting down");
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

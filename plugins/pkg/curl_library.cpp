#include "plugins/pkg/curl_library.h"

#include <dlfcn.h>

#include <mutex>

namespace cxxdns::pkg {
namespace {

// The soname of Debian's libcurl4 (OpenSSL flavour, the one libcurl4-openssl-dev builds
// against) and of libcurl3-gnutls' sibling; the first that opens wins.
constexpr const char* kSonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};

struct Loaded {
  CurlLibrary lib{};
  std::string error;
  bool ok = false;
};

template <typename F>
bool resolve(void* handle, const char* name, F& out, std::string& error) {
  void* sym = dlsym(handle, name);
  if (!sym) {
    error = std::string("libcurl lacks ") + name;
    return false;
  }
  out = reinterpret_cast<F>(sym);
  return true;
}

Loaded load() {
  Loaded l;
  void* handle = nullptr;
  std::string tried;
  for (const char* so : kSonames) {
    handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (handle) break;
    if (!tried.empty()) tried += "; ";
    tried += dlerror();
  }
  if (!handle) {
    l.error = "cannot load libcurl (install Debian's libcurl4): " + tried;
    return l;
  }
  CurlLibrary& c = l.lib;
  // Never dlclose'd: curl keeps global state for the life of the process.
  l.ok = resolve(handle, "curl_global_init", c.global_init, l.error) &&
         resolve(handle, "curl_easy_init", c.easy_init, l.error) &&
         resolve(handle, "curl_easy_setopt", c.easy_setopt, l.error) &&
         resolve(handle, "curl_easy_perform", c.easy_perform, l.error) &&
         resolve(handle, "curl_easy_getinfo", c.easy_getinfo, l.error) &&
         resolve(handle, "curl_easy_cleanup", c.easy_cleanup, l.error) &&
         resolve(handle, "curl_easy_strerror", c.easy_strerror, l.error) &&
         resolve(handle, "curl_slist_append", c.slist_append, l.error) &&
         resolve(handle, "curl_slist_free_all", c.slist_free_all, l.error) &&
         resolve(handle, "curl_multi_init", c.multi_init, l.error) &&
         resolve(handle, "curl_multi_setopt", c.multi_setopt, l.error) &&
         resolve(handle, "curl_multi_add_handle", c.multi_add_handle, l.error) &&
         resolve(handle, "curl_multi_remove_handle", c.multi_remove_handle, l.error) &&
         resolve(handle, "curl_multi_socket_action", c.multi_socket_action, l.error) &&
         resolve(handle, "curl_multi_assign", c.multi_assign, l.error) &&
         resolve(handle, "curl_multi_info_read", c.multi_info_read, l.error) &&
         resolve(handle, "curl_multi_cleanup", c.multi_cleanup, l.error) &&
         resolve(handle, "curl_version_info", c.version_info, l.error);
  if (l.ok && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    l.ok = false;
    l.error = "curl_global_init failed";
  }
  return l;
}

}  // namespace

const CurlLibrary* curl_library(std::string* error) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  if (!loaded.ok) {
    if (error) *error = loaded.error;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace cxxdns::pkg

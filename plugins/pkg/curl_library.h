// libcurl, opened with dlopen the first time a plugin makes an HTTP request (kubernetes API,
// etcd, forward's https:// upstreams).
//
// Why not link it: libcurl drags in some 25 shared libraries (GnuTLS, Kerberos, LDAP, SSH,
// RTMP, ...) whose relocated pages cost about 4 MiB of resident memory in every cxxdns
// process, though only a `kubernetes` block reading the live API or an `etcd` block ever
// uses it. A server with `cache` and `forward` alone stays near 8 MiB this way.
#pragma once

#include <curl/curl.h>

#include <string>

namespace cxxdns::pkg {

// The libcurl functions the plugins call, resolved from libcurl.so.4.
struct CurlLibrary {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  // The multi interface, for transfers driven by an event loop (forward's DoH upstreams).
  CURLM* (*multi_init)();
  CURLMcode (*multi_setopt)(CURLM*, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_socket_action)(CURLM*, curl_socket_t, int, int*);
  CURLMcode (*multi_assign)(CURLM*, curl_socket_t, void*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  CURLMcode (*multi_cleanup)(CURLM*);
  // The library's version (a workaround may depend on it).
  curl_version_info_data* (*version_info)(CURLversion);
};

// The library, loaded and initialised (curl_global_init) once per process; nullptr with
// `error` set when libcurl.so.4 cannot be opened or lacks a symbol. Thread-safe.
const CurlLibrary* curl_library(std::string* error);

}  // namespace cxxdns::pkg

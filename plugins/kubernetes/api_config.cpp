#include "plugins/kubernetes/api_config.h"

#include <openssl/evp.h>
#include <yaml.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace cxxdns::plugins::k8s {
namespace {

using json = nlohmann::json;

// A YAML node as JSON with every scalar a string: all a kubeconfig needs, and nlohmann is
// already the plugin's tree type.
json to_json(yaml_document_t* doc, yaml_node_t* node, int depth) {
  if (!node || depth > 64) return nullptr;
  switch (node->type) {
    case YAML_SCALAR_NODE:
      return std::string(reinterpret_cast<const char*>(node->data.scalar.value),
                         node->data.scalar.length);
    case YAML_SEQUENCE_NODE: {
      json a = json::array();
      for (auto* it = node->data.sequence.items.start; it < node->data.sequence.items.top; ++it)
        a.push_back(to_json(doc, yaml_document_get_node(doc, *it), depth + 1));
      return a;
    }
    case YAML_MAPPING_NODE: {
      json o = json::object();
      for (auto* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
        json k = to_json(doc, yaml_document_get_node(doc, p->key), depth + 1);
        if (k.is_string())
          o[k.get<std::string>()] = to_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
      }
      return o;
    }
    default:
      return nullptr;
  }
}

bool load_yaml(const std::string& file, json& out, std::string& error) {
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    error = "cannot open " + file;
    return false;
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  bool ok = yaml_parser_load(&parser, &doc);
  if (!ok) {
    error = file + ": line " + std::to_string(parser.problem_mark.line + 1) + ": " +
            (parser.problem ? parser.problem : "YAML error");
  } else {
    out = to_json(&doc, yaml_document_get_root_node(&doc), 0);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  std::fclose(f);
  return ok;
}

std::string field(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The `name`d entry's `inner` object in a kubeconfig list (clusters, users, contexts).
const json* named(const json& root, const char* list, const char* inner, const std::string& name) {
  if (!root.contains(list) || !root[list].is_array()) return nullptr;
  for (auto& e : root[list]) {
    if (field(e, "name") == name && e.contains(inner) && e[inner].is_object()) return &e[inner];
  }
  return nullptr;
}

bool base64(const std::string& in, std::string& out) {
  std::string clean;
  for (char c : in)
    if (c != '\n' && c != '\r' && c != ' ') clean += c;
  if (clean.size() % 4) return false;
  out.resize(clean.size() / 4 * 3);
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return true;
}

std::string relative_to(const std::string& file, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  auto slash = file.rfind('/');
  return slash == std::string::npos ? path : file.substr(0, slash + 1) + path;
}

}  // namespace

std::string serviceaccount_dir() {
  const char* d = std::getenv("CXXDNS_SERVICEACCOUNT_DIR");
  return d && *d ? d : "/var/run/secrets/kubernetes.io/serviceaccount";
}

bool in_cluster_config(ApiConfig& out, std::string& error) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    error =
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined";
    return false;
  }
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 service address
  out = ApiConfig{};
  out.server = "https://" + h + ":" + port;
  std::string dir = serviceaccount_dir();
  out.token_file = dir + "/token";
  out.ca_file = dir + "/ca.crt";
  return true;
}

namespace {

// A base64 field of a kubeconfig entry into `dst`; absent is fine, not base64 is an error.
bool base64_field(const std::string& file, const json& o, const char* key, std::string& dst,
                  std::string& error) {
  std::string v = field(o, key);
  if (v.empty() || base64(v, dst)) return true;
  error = file + ": " + key + " is not base64";
  return false;
}

// The user's credentials: a token (or token file) or a client certificate.
bool kubeconfig_user(const std::string& file, const json& root, const std::string& user_name,
                     ApiConfig& out, std::string& error) {
  const json* user = named(root, "users", "user", user_name);
  if (!user) {
    error = file + ": user \"" + user_name + "\" not found";
    return false;
  }
  if (user->contains("exec") || user->contains("auth-provider")) {
    error = file + ": user \"" + user_name +
            "\": exec and auth-provider credentials are not supported (use a token or a "
            "client certificate)";
    return false;
  }
  out.token = field(*user, "token");
  out.token_file = relative_to(file, field(*user, "tokenFile"));
  if (!base64_field(file, *user, "client-certificate-data", out.cert_pem, error) ||
      !base64_field(file, *user, "client-key-data", out.key_pem, error)) {
    return false;
  }
  if (out.cert_pem.empty()) out.cert_file = relative_to(file, field(*user, "client-certificate"));
  if (out.key_pem.empty()) out.key_file = relative_to(file, field(*user, "client-key"));
  return true;
}

// The server and its CA from the context's cluster entry.
bool kubeconfig_cluster(const std::string& file, const json& root, const json& ctx, ApiConfig& out,
                        std::string& error) {
  const json* cluster = named(root, "clusters", "cluster", field(ctx, "cluster"));
  if (!cluster) {
    error = file + ": cluster \"" + field(ctx, "cluster") + "\" not found";
    return false;
  }
  out.server = field(*cluster, "server");
  while (!out.server.empty() && out.server.back() == '/') out.server.pop_back();
  if (out.server.empty()) {
    error = file + ": cluster \"" + field(ctx, "cluster") + "\" has no server";
    return false;
  }
  out.insecure = field(*cluster, "insecure-skip-tls-verify") == "true";
  if (!base64_field(file, *cluster, "certificate-authority-data", out.ca_pem, error)) return false;
  if (out.ca_pem.empty()) out.ca_file = relative_to(file, field(*cluster, "certificate-authority"));
  return true;
}

}  // namespace

bool kubeconfig_config(const std::string& file, const std::string& context, ApiConfig& out,
                       std::string& error) {
  json root;
  if (!load_yaml(file, root, error)) return false;
  if (!root.is_object()) {
    error = file + ": not a kubeconfig (no mapping at the top)";
    return false;
  }
  std::string ctx_name = context.empty() ? field(root, "current-context") : context;
  if (ctx_name.empty()) {
    error = file + ": no context given and no current-context";
    return false;
  }
  const json* ctx = named(root, "contexts", "context", ctx_name);
  if (!ctx) {
    error = file + ": context \"" + ctx_name + "\" not found";
    return false;
  }
  out = ApiConfig{};
  if (!kubeconfig_cluster(file, root, *ctx, out, error)) return false;
  std::string user_name = field(*ctx, "user");
  return user_name.empty() || kubeconfig_user(file, root, user_name, out, error);
}

}  // namespace cxxdns::plugins::k8s

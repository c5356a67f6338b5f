// The metrics CoreDNS's core and its metrics plugin export, with CoreDNS's names, labels,
// help texts and buckets, registered in metrics::Registry::global().
#pragma once

#include "core/metrics/metrics.h"

namespace cxxdns::plugins::vars {

struct DnsMetrics {
  metrics::CounterFamily& requests;         // {server,zone,view,proto,family,type}
  metrics::HistogramFamily& duration;       // {server,zone,view}, as CoreDNS 1.12
  metrics::HistogramFamily& request_size;   // {server,zone,view,proto}
  metrics::HistogramFamily& response_size;  // {server,zone,view,proto}
  metrics::CounterFamily& responses;        // {server,zone,view,rcode,plugin}
  metrics::GaugeFamily& plugin_enabled;     // {server,zone,view,name}
};

// Registers everything (once) and returns the DNS families.
DnsMetrics& dns();

// The "type" label: the type's name for the types CoreDNS watches, else "other".
std::string_view monitored_type(uint16_t qtype);

}  // namespace cxxdns::plugins::vars

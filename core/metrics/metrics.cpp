#include "core/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace cxxdns::metrics {

uint64_t Counter::value() const {
  uint64_t v = 0;
  for (auto& c : cells_) v += c.v.load(std::memory_order_relaxed);
  std::lock_guard lock(attach_mu_);
  for (const Counter* a : attached_) v += a->value();
  return v;
}

void Counter::attach(const Counter* c) {
  std::lock_guard lock(attach_mu_);
  attached_.push_back(c);
}

void Counter::detach(const Counter* c) {
  std::lock_guard lock(attach_mu_);
  auto it = std::find(attached_.begin(), attached_.end(), c);
  if (it == attached_.end()) return;
  attached_.erase(it);
  cells_[0].v.fetch_add(c->value(), std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), stride_((bounds.size() + 1 + 7) / 8 * 8) {
  // One cache line more, so each shard starts on a line of its own.
  storage_ = std::make_unique<std::atomic<uint64_t>[]>(stride_ * kShards + 8);
  auto addr = reinterpret_cast<uintptr_t>(storage_.get());
  counts_ = storage_.get() + ((64 - addr % 64) % 64) / sizeof(std::atomic<uint64_t>);
}

void Histogram::observe(int shard, double v) {
  shard &= kShards - 1;
  // Few buckets: a linear scan beats a binary search here.
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[shard * stride_ + i].fetch_add(1, std::memory_order_relaxed);
  sums_[shard].v.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.assign(bounds_.size() + 1, 0);
  for (int sh = 0; sh < kShards; ++sh) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      s.cumulative[i] += counts_[sh * stride_ + i].load(std::memory_order_relaxed);
    }
    s.sum += sums_[sh].v.load(std::memory_order_relaxed);
  }
  for (size_t i = 1; i < s.cumulative.size(); ++i) s.cumulative[i] += s.cumulative[i - 1];
  s.count = s.cumulative.back();
  return s;
}

template <typename Child>
Family<Child>::Family(std::string name, std::string help, std::vector<std::string> labels,
                      std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)) {
  if (labels_.empty()) with(std::vector<std::string>{});
}

template <typename Child>
Child& Family<Child>::with(const std::vector<std::string>& values) {
  if (values.size() != labels_.size()) {
    throw std::logic_error(name_ + ": " + std::to_string(labels_.size()) +
                           " label values expected");
  }
  std::lock_guard lock(mu_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Child, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<Child>();
    }
  }
  return *slot;
}

template <typename Child>
Child& Family<Child>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return with(v);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry& Registry::global() {
  static Registry r;
  return r;
}

Registry::Entry& Registry::entry(const std::string& name, Type type,
                                 const std::vector<std::string>& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(name, Entry{}).first;
    it->second.type = type;
    return it->second;
  }
  const std::vector<std::string>* have = nullptr;
  if (it->second.type == type) {
    if (it->second.counter) have = &it->second.counter->labels();
    if (it->second.gauge) have = &it->second.gauge->labels();
    if (it->second.histogram) have = &it->second.histogram->labels();
  }
  if (!have || *have != labels) {
    throw std::logic_error("metric " + name + " registered again with another type or labels");
  }
  return it->second;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  Entry& e = entry(name, Type::counter, labels);
  if (!e.counter) e.counter = std::make_unique<CounterFamily>(name, help, std::move(labels));
  return *e.counter;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> labels, bool counter_type) {
  std::lock_guard lock(mu_);
  Entry& e = entry(name, Type::gauge, labels);
  e.counter_type = counter_type;
  if (!e.gauge) e.gauge = std::make_unique<GaugeFamily>(name, help, std::move(labels));
  return *e.gauge;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Entry& e = entry(name, Type::histogram, labels);
  if (!e.histogram) {
    e.histogram =
        std::make_unique<HistogramFamily>(name, help, std::move(labels), std::move(bounds));
  }
  return *e.histogram;
}

GaugeFamily& Registry::collected_gauge(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels, bool counter_type) {
  GaugeFamily& g = gauge(name, help, std::move(labels), counter_type);
  std::lock_guard lock(mu_);
  families_.at(name).collected = true;
  return g;
}

void Registry::on_collect(std::function<void()> f) {
  std::lock_guard lock(collect_mu_);
  permanent_collectors_.push_back(std::move(f));
}

CollectorHandle Registry::collector(std::function<void()> f) {
  std::lock_guard lock(collect_mu_);
  const uint64_t id = next_collector_++;
  collectors_.emplace(id, std::move(f));
  return CollectorHandle(this, id);
}

void Registry::remove_collector(uint64_t id) {
  std::lock_guard lock(collect_mu_);
  collectors_.erase(id);
}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& o) noexcept {
  if (this != &o) {
    if (registry_) registry_->remove_collector(id_);
    registry_ = o.registry_;
    id_ = o.id_;
    o.registry_ = nullptr;
  }
  return *this;
}

CollectorHandle::~CollectorHandle() {
  if (registry_) registry_->remove_collector(id_);
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";
  // Go's 'g' with the shortest precision: exponent form only below 1e-4 or from 1e6 up.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr - buf);
  int exp = std::atoi(std::string(sci.substr(sci.find('e') + 1)).c_str());
  if (exp < -4 || exp >= 6) return std::string(sci);
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (le for buckets); empty when no labels.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

template <typename Fam>
bool header(std::string& out, const Fam& f, std::string_view type) {
  bool any = false;
  f.each([&](auto&, auto&) { any = true; });
  if (!any) return false;
  out += "# HELP " + f.name() + " " + escape_help(f.help()) + "\n";
  out += "# TYPE " + f.name() + " ";
  out += type;
  out += "\n";
  return true;
}

}  // namespace

namespace {

void render_counters(std::string& out, const CounterFamily& f) {
  f.each([&](const std::vector<std::string>& values, const Counter& c) {
    out += f.name();
    append_labels(out, f.labels(), values);
    out += ' ';
    out += std::to_string(c.value());
    out += '\n';
  });
}

void render_gauges(std::string& out, const GaugeFamily& f) {
  f.each([&](const std::vector<std::string>& values, const Gauge& g) {
    out += f.name();
    append_labels(out, f.labels(), values);
    out += ' ';
    out += format_value(g.value());
    out += '\n';
  });
}

void render_histograms(std::string& out, const HistogramFamily& f) {
  f.each([&](const std::vector<std::string>& values, const Histogram& h) {
    const Histogram::Snapshot s = h.snapshot();
    for (size_t i = 0; i <= f.bounds().size(); ++i) {
      out += f.name();
      out += "_bucket";
      const std::string le = i < f.bounds().size() ? format_value(f.bounds()[i]) : "+Inf";
      append_labels(out, f.labels(), values, "le", le);
      out += ' ';
      out += std::to_string(s.cumulative[i]);
      out += '\n';
    }
    out += f.name();
    out += "_sum";
    append_labels(out, f.labels(), values);
    out += ' ';
    out += format_value(s.sum);
    out += '\n';
    out += f.name();
    out += "_count";
    append_labels(out, f.labels(), values);
    out += ' ';
    out += std::to_string(s.count);
    out += '\n';
  });
}

}  // namespace

void Registry::collect() {
  std::lock_guard collect(collect_mu_);
  {
    std::lock_guard lock(mu_);
    for (auto& entry : families_) {
      Entry& e = entry.second;
      if (e.collected && e.gauge) e.gauge->each([](const auto&, Gauge& g) { g.set(0); });
    }
  }
  for (auto& c : permanent_collectors_) c();
  for (auto& entry : collectors_) entry.second();
}

std::string Registry::render() {
  collect();
  std::lock_guard lock(mu_);
  std::string out;
  for (auto& family : families_) {
    Entry& e = family.second;
    if (e.counter && header(out, *e.counter, "counter")) {
      render_counters(out, *e.counter);
    } else if (e.gauge && header(out, *e.gauge, e.counter_type ? "counter" : "gauge")) {
      render_gauges(out, *e.gauge);
    } else if (e.histogram && header(out, *e.histogram, "histogram")) {
      render_histograms(out, *e.histogram);
    }
  }
  return out;
}

}  // namespace cxxdns::metrics

// The parts a service block is built with (InternedStrings, UniqueRun) and the store's
// shared port lists.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "plugins/kubernetes/interned_strings.h"
#include "plugins/kubernetes/port_lists.h"
#include "plugins/kubernetes/unique_run.h"

using namespace cxxdns::plugins::k8s;

namespace {

struct IntHash {
  size_t operator()(int x) const { return static_cast<size_t>(x) * 0x9e3779b97f4a7c15ULL; }
};

}  // namespace

TEST_CASE("kubernetes interned strings: one id a string, its text once", "[kubernetes]") {
  InternedStrings s;
  for (int round = 0; round < 2; ++round) {  // cleared, it starts again from id 0
    s.clear();
    std::vector<uint32_t> ids;
    for (int i = 0; i < 1000; ++i) {  // past the first table's 64 slots: it grows
      bool added = false;
      ids.push_back(s.id("name-" + std::to_string(i) + ".ns.svc", &added));
      CHECK(added);
    }
    CHECK(s.count() == 1000);
    CHECK(ids[0] == 0);
    CHECK(ids[999] == 999);
    for (int i = 0; i < 1000; i += 37) {
      bool added = true;
      std::string text = "name-" + std::to_string(i) + ".ns.svc";
      CHECK(s.id(text, &added) == ids[i]);
      CHECK_FALSE(added);
      CHECK(s.str(ids[i]) == text);
      CHECK(s.text().substr(s.offset(ids[i]), text.size()) == text);
    }
    CHECK(s.count() == 1000);
  }
}

TEST_CASE("kubernetes unique run: first-come order, duplicates dropped, cut at 65,535",
          "[kubernetes]") {
  std::vector<int> v{7, 7, 7};  // what came before the run is not the run's
  UniqueRun<int, IntHash> run(v);
  for (int x : {3, 1, 3, 2, 1}) run.add(x);
  CHECK(run.at() == 3);
  CHECK(run.length() == 3);
  CHECK(std::vector<int>(v.begin() + 3, v.end()) == std::vector<int>{3, 1, 2});
  // Long runs keep a set: the same values, still in order.
  for (int x = 0; x < 100000; ++x) run.add(x % 70000);
  REQUIRE(v.size() == 3 + 70000);  // 3, 1, 2 then 0 and 4..69999
  CHECK(v[3 + 3] == 0);
  CHECK(v[3 + 4] == 4);
  CHECK(v.back() == 69999);
  CHECK(run.length() == 65535);
  CHECK(v.size() == 3 + 65535);
}

TEST_CASE("kubernetes port lists: equal lists are one shared copy", "[kubernetes]") {
  PortLists lists;
  std::vector<Port> http{{"http", "TCP", 80}};
  PortList a = lists.get(http);
  PortList b = lists.get(std::vector<Port>{{"http", "TCP", 80}});
  CHECK(a == b);  // one copy: the store compares lists by pointer
  CHECK(*a == http);
  CHECK(lists.get({{"http", "UDP", 80}}) != a);
  CHECK(lists.get({{"web", "TCP", 80}}) != a);
  CHECK(lists.get({{"http", "TCP", 8080}}) != a);
  CHECK(lists.get({}) != a);
  CHECK(lists.get({})->empty());
  // Names and protocols cannot run into each other: ("a", "bc") is not ("ab", "c").
  CHECK(lists.get({{"a", "bc", 1}}) != lists.get({{"ab", "c", 1}}));
  // Lists no one holds any more go; asked again, the list is made anew, equal.
  for (int i = 0; i < 500; ++i) {
    std::string name = std::to_string(i);  // not "p" + ...: g++ 12's -Wrestrict false alarm
    lists.get({{name, "TCP", i}});
  }
  a.reset();
  b.reset();
  PortList again = lists.get(http);
  CHECK(*again == http);
}

# The two commands of the README, and what they need. Both install missing Debian packages
# (apt-get, as root) and build in Release with CMake and Ninja.
BUILD ?= build
JOBS ?= 2
BUILD_DEPS := cmake ninja-build g++ pkg-config libldns-dev libuv1-dev nlohmann-json3-dev catch2 \
              libfmt-dev libssl-dev libcurl4-openssl-dev libyaml-dev
TEST_DEPS := unbound knot-dnsutils bind9-dnsutils python3 python3-pytest dnsperf curl openssl strace python3-yaml
BENCH_DEPS := dnsdist unbound knot-resolver dnsperf gnuplot-nox python3

.PHONY: run test test-sanitize build bench deps test-deps bench-deps clean fuzz soak

run: build
	./$(BUILD)/cxxdns -conf Corefile.examples/local.Corefile

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Measures cxxdns against dnsdist, unbound, kresd and the floor on this machine (a few
# minutes) and writes bench/results/REPORT.md, results.json and PNG plots; the micro
# benchmarks run too.
bench: bench-deps build
	ninja -C $(BUILD) -j$(JOBS) cxxdns_micro
	/usr/bin/python3 bench/run --build $(BUILD)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer, -O1, in its
# own build directory (CI runs it after `make test`).
test-sanitize: test-deps deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCXXDNS_SANITIZE=ON -DCMAKE_CXX_FLAGS=-O1
	ninja -C build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

# libFuzzer targets (test/fuzz), built with clang++ in build-fuzz, each run FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
fuzz: deps
	@./.ci/install-packages clang libclang-rt-14-dev
	CXX=clang++-14 cmake -S test/fuzz -B build-fuzz -G Ninja
	ninja -C build-fuzz -j$(JOBS) fuzz_targets
	test/fuzz/run build-fuzz $(FUZZ_SECONDS)

# Four minutes of dnsperf load while the upstream dies, the Corefile reloads, the kubernetes
# state changes, then attackers (slowloris, clients that never read, a fakeip flood) come
# and go (test/soak); not part of `make test`.
soak: test-deps build
	/usr/bin/python3 test/soak/soak.py --bin $(BUILD)/cxxdns

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	ninja -C $(BUILD) -j$(JOBS)

deps:
	@./.ci/install-packages $(BUILD_DEPS)

bench-deps:
	@./.ci/install-packages $(BENCH_DEPS)

test-deps:
	@./.ci/install-packages $(TEST_DEPS)

clean:
	rm -rf $(BUILD)

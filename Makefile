# The two commands of the README, and what they need. Both install missing Debian packages
# (apt-get, as root) and build in Release with CMake and Ninja.
BUILD ?= build
JOBS ?= 2
BUILD_DEPS := cmake ninja-build g++ pkg-config libldns-dev libuv1-dev nlohmann-json3-dev catch2 \
              libfmt-dev libssl-dev libcurl4-openssl-dev
TEST_DEPS := unbound knot-dnsutils bind9-dnsutils python3 python3-pytest dnsperf curl

.PHONY: run test build deps test-deps clean

run: build
	./$(BUILD)/cxxdns -conf Corefile.examples/local.Corefile

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	ninja -C $(BUILD) -j$(JOBS)

deps:
	@./.ci/install-packages $(BUILD_DEPS)

test-deps:
	@./.ci/install-packages $(TEST_DEPS)

clean:
	rm -rf $(BUILD)

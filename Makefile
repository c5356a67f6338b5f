# The two commands of the README, and what they need. Both install missing Debian packages
# (apt-get, as root) and build in Release with CMake and Ninja.
BUILD ?= build
JOBS ?= 2
# Tests run side by side: most of their time is spent waiting (servers starting, timeouts
# that are the point of the test), so twice the cores keeps the machine busy.
TEST_JOBS ?= 4
BUILD_DEPS := cmake ninja-build g++ pkg-config libldns-dev libuv1-dev nlohmann-json3-dev catch2 \
              libfmt-dev libssl-dev libcurl4-openssl-dev libyaml-dev libsimdjson-dev libre2-dev \
              libfstrm-dev libprotobuf-c-dev protobuf-c-compiler libnghttp2-dev
TEST_DEPS := unbound knot-dnsutils bind9-dnsutils python3 python3-pytest dnsperf curl openssl \
             strace python3-yaml libcap2-bin iproute2 fstrm-bin etcd-server etcd-client \
             python3-grpcio
RUN_DEPS := knot-dnsutils
# The image: podman with runc (see deploy/image/podman-env), debootstrap for the local base.
IMAGE_DEPS := podman runc debootstrap
BENCH_DEPS := dnsdist unbound knot-resolver dnsperf gnuplot-nox python3

.PHONY: run test test-sanitize test-tsan build-asan build-tsan lint build bench bench-kubernetes deps test-deps \
        bench-deps run-deps image-deps clean fuzz soak image image-test

# Extra CMake options for every build (CI: -DCXXDNS_WERROR=ON, warnings are errors).
CMAKE_ARGS ?=

# The example of what cxxdns is for (a cluster, fake IPs for the rest, explain, metrics), with
# the commands to try printed after the banner.
run: build run-deps
	tools/run-example ./$(BUILD)/cxxdns Corefile.examples/local.Corefile

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(TEST_JOBS)

# The deploy/ image with podman, on a Debian 12 base made here from this machine's Debian
# mirror (no registry needed): localhost/cxxdns:dev. The first build takes 16 to 28
# minutes; later ones reuse the base, the package layers and the compiler cache (about one).
# IMAGE_BINARY=build/cxxdns puts that binary in the image instead of compiling one in its
# build stage (CI, which has just built and tested it on the same Debian 12).
image: image-deps
	deploy/image/build $(if $(IMAGE_BINARY),--binary $(IMAGE_BINARY))

# Runs the image as kubeadm's CoreDNS Deployment does (test/image; about half a minute).
image-test: image test-deps
	CXXDNS_SOURCE=$(CURDIR) /usr/bin/python3 -m pytest -q -p no:cacheprovider test/image

# Measures cxxdns against dnsdist, unbound, kresd and the floor on this machine (a few
# minutes) and writes bench/results/REPORT.md, results.json and PNG plots; the micro
# benchmarks and the kubernetes scenario (bench-kubernetes) run too.
bench: bench-deps build
	ninja -C $(BUILD) -j$(JOBS) cxxdns_micro
	/usr/bin/python3 bench/run --build $(BUILD)
	/usr/bin/python3 bench/kubernetes --build $(BUILD)

# The kubernetes plugin at cluster scale (a few minutes): 1,000 to 10,000 services against a
# scripted API server, EndpointSlice churn, 150,000 pods with `pods verified`; writes
# bench/results/KUBERNETES.md, kubernetes.json and plots.
bench-kubernetes: bench-deps build
	/usr/bin/python3 bench/kubernetes --build $(BUILD)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer, -O1, in its
# own build directory (CI runs it after `make test`). -g1 keeps file:line in the sanitizers'
# stack traces and compiles a fifth faster than full debug information.
build-asan: test-deps deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCXXDNS_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" $(CMAKE_ARGS)
	ninja -C build-asan -j$(JOBS)

test-sanitize: build-asan
	cd build-asan && ctest --output-on-failure -j$(TEST_JOBS)

# The unit and end-to-end tests under ThreadSanitizer (workers share the cache, fakeip pools,
# cluster indexes and metrics), in build-tsan; a race report fails the test that saw it
# (test/tsan.supp names what is not ours).
build-tsan: test-deps deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCXXDNS_TSAN=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
	  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" $(CMAKE_ARGS)
	ninja -C build-tsan -j$(JOBS)

test-tsan: build-tsan
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/test/tsan.supp" \
	  ctest --output-on-failure -j$(TEST_JOBS) -E 'e2e.test_bench'

# clang-tidy (.clang-tidy) over core/, plugins/ and cmd/ with the build's compile commands.
lint: build
	@./.ci/install-packages clang-tidy
	.ci/lint $(BUILD)

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
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	ninja -C $(BUILD) -j$(JOBS)

deps:
	@./.ci/install-packages $(BUILD_DEPS)

run-deps:
	@./.ci/install-packages $(RUN_DEPS)

image-deps:
	@./.ci/install-packages $(IMAGE_DEPS)

bench-deps:
	@./.ci/install-packages $(BENCH_DEPS)

test-deps:
	@./.ci/install-packages $(TEST_DEPS)

clean:
	rm -rf $(BUILD)

# Front door. Every target first runs scripts/setup.sh (idempotent, quiet when all is there).
#   make demo   build everything and run the demo session (no API key, no network)
#   make test   build everything and run all tests
#   make sanitize  the host and engine tests under ASan, UBSan and LSan (part of make test)
#   make guest  build the session VM component: build/guest/session_guest.wasm
#   make bench  build and run the benchmarks
.PHONY: all setup configure build guest demo test sanitize bench format clean

BUILD := build
CMAKE_BUILD := cmake --build --preset default

all: build

setup:
	@scripts/setup.sh

configure: setup
	@[ -f $(BUILD)/build.ninja ] || cmake --preset default >/dev/null

build: configure
	@$(CMAKE_BUILD)

guest: configure
	@$(CMAKE_BUILD) --target session_guest_component

demo: build
	@scripts/demo.sh

test: build
	@scripts/test.sh

sanitize: configure
	@scripts/sanitize.sh

bench: build
	@scripts/bench.sh

format:
	@git ls-files '*.h' '*.cpp' '*.c' | xargs clang-format -i

clean:
	rm -rf $(BUILD)

# A thin front over Meson + Ninja: the README's two commands and a few conveniences.
BUILD ?= build

.PHONY: all deps demo check format clean

all: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=debugoptimized
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

demo: all
	$(BUILD)/src/virtperf demo

check: deps
	tests/run-all

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

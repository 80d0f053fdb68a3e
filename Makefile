# The commands of the README's quick start. `make run` and `make test` share one build
# (the dev profile, with optimised dependencies), so RocksDB's C++ is compiled once.

.PHONY: run test lint conformance

run:
	scripts/install-deps.sh build
	cargo run --bin cairn -- serve

test:
	scripts/install-deps.sh test
	cargo test --workspace
	scripts/conformance.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

conformance:
	scripts/conformance.sh $(URL)

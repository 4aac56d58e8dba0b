.PHONY: run test bench lint

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bootstrap.sh --dev
	@.venv/bin/python scripts/bench $(BENCH_ARGS)

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

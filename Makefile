.PHONY: run test bench bench-compare lint

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bootstrap.sh --dev
	@.venv/bin/python scripts/bench $(BENCH_ARGS)

# Every numeric figure of two results side by side: make bench-compare BEFORE=a.json AFTER=b.json
bench-compare:
	@.venv/bin/python scripts/bench compare $(BEFORE) $(AFTER)

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache

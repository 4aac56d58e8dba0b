.PHONY: run test bench bench-compare lint

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bootstrap.sh --dev
	@.venv/bin/python scripts/bench $(BENCH_ARGS)

# Every numeric figure of two versions side by side: make bench-compare BEFORE=a.json AFTER=b.json
# (several runs a side, "a1.json a2.json", are compared by their medians)
bench-compare:
	@.venv/bin/python scripts/bench compare --before $(BEFORE) --after $(AFTER)

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache

.PHONY: run test bench lint

run:
	@scripts/run.sh

test:
	@scripts/test.sh

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Hromada GIS — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint bootstrap bootstrap-test config fuzz bench

run:
	@scripts/bootstrap.sh run
	$(VENV)/gis serve --demo

test:
	@scripts/bootstrap.sh test
	@$(VENV)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc = 5 ]; then echo 'error: pytest ran no tests' >&2; exit 1; fi; exit $$rc

lint:
	@scripts/bootstrap.sh test
	$(VENV)/ruff check .
	$(VENV)/mypy gis registries ogc tiles ingest extracts app
	$(VENV)/lint-imports

config:
	$(VENV)/gis config pygeoapi > pygeoapi-config.yml

# Every bench/<name>.py (helpers start with _) in turn; each writes its section of
# docs/benchmarks.md. BENCH_ARGS go to every script, e.g. BENCH_ARGS="--scale 0.2".
bench:
	@scripts/bootstrap.sh run
	@for script in bench/[!_]*.py; do \
	  echo "== $$script $(BENCH_ARGS)" >&2; \
	  $(VENV)/python "$$script" $(BENCH_ARGS) || exit $$?; \
	done

# schemathesis over the OpenAPI document with more examples than the suite's bounded run
fuzz:
	@scripts/bootstrap.sh test
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} $(VENV)/python -m pytest tests/test_fuzz.py -q

# Hromada GIS — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint bootstrap bootstrap-test config

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
	$(VENV)/mypy gis registries
	$(VENV)/lint-imports

config:
	$(VENV)/gis config pygeoapi > pygeoapi-config.yml

# The two commands of the README. Each installs what it needs (.venv, Kafka jars) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test bench install clean

run: $(INSTALLED)
	$(BIN)/scimflow run

# pytest exits 5 when it collected no tests: that is a failure too, and so is any other non-zero.
# ruff's static checks run first (a finding fails the run, after the tests: their summary stays the last line).
test: $(INSTALLED)
	$(BIN)/ruff check .; lint=$$?; \
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; \
	if [ $$status -eq 0 ]; then status=$$lint; fi; \
	exit $$status

# Load benchmark on a real broker, results appended to bench/RESULTS.md: `make bench ARGS=--quick`.
bench: $(INSTALLED)
	$(BIN)/python -m bench $(ARGS)

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .cache var .pytest_cache

# The two commands of the README. Each installs what it needs (.venv, Kafka jars) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The versions the whole suite passed with: the .venv gets exactly these (`make lock` moves to newer ones).
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run test bench install lock clean

run: $(INSTALLED)
	$(BIN)/scimflow run

# pytest exits 5 when it collected no tests: that is a failure too, and so is any other non-zero.
# The static checks run first, ruff then mypy ([tool.ruff], [tool.mypy] in pyproject.toml); a finding fails the
# run, after the tests, so that their summary stays the last line.
# Three pytest-xdist workers on the 2 cores (tests/support/parallel.py): the integration tests spend much of
# their time waiting on their processes, and a third worker keeps both cores busy meanwhile.
test: $(INSTALLED)
	$(BIN)/ruff check .; lint=$$?; \
	$(BIN)/mypy; types=$$?; \
	$(BIN)/python -m pytest -n 3; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; \
	if [ $$status -eq 0 ]; then status=$$lint; fi; \
	if [ $$status -eq 0 ]; then status=$$types; fi; \
	exit $$status

# Load benchmark on a real broker, results appended to bench/RESULTS.md: `make bench ARGS=--quick`.
bench: $(INSTALLED)
	$(BIN)/python -m bench $(ARGS)

install: $(INSTALLED)

# uv installs the locked versions in seconds where pip takes half a minute (a fresh clone's `make test` has four
# minutes in all); pip does it should uv fail on a machine (uv reads no pip.conf: a mirror set only there).
$(INSTALLED): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c $(LOCK) uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c $(LOCK) -e '.[test]' \
		|| $(PIP) install --quiet -c $(LOCK) -e '.[test]'
	touch $@

# Newer versions: a fresh .venv resolved from pyproject.toml alone, frozen into the lock (its comment kept).
# Then `make test`, and commit the lock with the change.
lock:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet uv -e '.[test]'
	{ grep '^#' $(LOCK); $(PIP) freeze --exclude-editable; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	touch $(INSTALLED)

clean:
	rm -rf $(VENV) .cache var .pytest_cache .mypy_cache

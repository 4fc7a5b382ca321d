# The two front-door commands: `make run` (set up, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test serve bench fuzz clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/baton demo

serve: $(BIN)/.installed
	$(BIN)/baton serve

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# The long fuzzing run: every operation as every role on both backends, FUZZ_EXAMPLES examples each.
FUZZ_EXAMPLES ?= 200
fuzz: $(BIN)/.installed
	BATON_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_api_fuzz.py -q -p no:cacheprovider

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) baton.db baton.db-wal baton.db-shm baton-files

# Set-up is done by these targets; nothing else needs installing by hand.
# Dependencies are pinned by constraints.txt (the versions the suite last passed with);
# `make lock` refreshes it from the ranges in pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lock clean

$(STAMP): pyproject.toml setup.py constraints.txt src/reprints/_native.pyx src/reprints/stages/align.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench,service]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/reprints scan examples/wire/stories.jsonl --out run-demo --overwrite

test: $(STAMP)
	sh scripts/install-browser.sh
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_reuters.py

lock:
	PYTHON=$(PYTHON) sh scripts/lock.sh

clean:
	rm -rf $(VENV) run-demo .pytest_cache dist build

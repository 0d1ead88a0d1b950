# Set-up is done by these targets; nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml setup.py src/reprints/_native.pyx src/reprints/stages/align.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench,service]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/reprints scan examples/wire/stories.jsonl --out run-demo --overwrite

test: $(STAMP)
	sh scripts/install-browser.sh
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_reuters.py

clean:
	rm -rf $(VENV) run-demo .pytest_cache

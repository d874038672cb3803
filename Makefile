# Set-up is two commands: `make report` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?= 2026-10
SAMPLE := data/sample-county

.PHONY: env sample report test lint lab bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test,scale,db]'
	@touch $(STAMP)

env: $(STAMP)

$(SAMPLE)/truth.json: | $(STAMP)
	$(BIN)/lean-analysis sample --size county --out $(SAMPLE)

sample: $(SAMPLE)/truth.json

report: env sample
	$(BIN)/lean-analysis run params/monthly.yaml --period $(PERIOD) --data $(SAMPLE)

test: env
	@bash .ci/system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: env
	$(BIN)/ruff check .

lab: env
	$(BIN)/jupyter lab notebooks/

bench: env sample
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) outputs/*/ data/

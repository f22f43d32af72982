# Two commands on a fresh machine: `make run` (the product on demo data) and `make test` (the whole suite).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
DATA    := data
WAREHOUSE ?= $(DATA)/warehouse.duckdb
DEMO    := $(DATA)/demo
PORT    ?= 8501

.PHONY: run test venv demo bench clean-data
# A failed demo build leaves no half-built warehouse behind: the next `make run` starts again.
.DELETE_ON_ERROR:

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Test-only tools (pytest, playwright, openpyxl to read back exports, ruff) on top of the runtime.
$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# Build the demo warehouse only when there is none: demo files -> load (with realistic received times) -> accounts.
$(WAREHOUSE): | $(BIN)/.installed
	rm -rf $(DEMO) $(WAREHOUSE) $(basename $(WAREHOUSE)).snapshots
	$(BIN)/python -m etl demo --out $(DEMO)
	# 500强 lists first, so that claims in the submissions are checked against them
	for f in $(DEMO)/reference/five_hundred_*.csv; do $(BIN)/python -m etl load-reference five-hundred $$f --warehouse $(WAREHOUSE) || exit 1; done
	$(BIN)/python -m etl load-reference enterprises $(DEMO)/reference/enterprises_gansu.csv --warehouse $(WAREHOUSE)
	@echo "加载演示报表（逐文件结果见 $(DATA)/demo-load.log，校验报告见 $(DEMO)/validation-report.xlsx）…"
	$(BIN)/python -m etl load $(DEMO)/submissions --manifest $(DEMO)/manifest.csv --warehouse $(WAREHOUSE) \
	  --report $(DEMO)/validation-report.xlsx > $(DATA)/demo-load.log || test $$? -eq 2
	@tail -n 1 $(DATA)/demo-load.log
	$(BIN)/python -m warehouse users demo --warehouse $(WAREHOUSE)

demo: $(WAREHOUSE)

run: $(BIN)/.installed $(WAREHOUSE)
	WAREHOUSE=$(WAREHOUSE) $(BIN)/streamlit run serve.py --server.port $(PORT)

test: $(BIN)/.installed-dev
	$(BIN)/ruff check --no-cache .
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

# Benchmarks print figures (not part of `make test`); each compares with a baseline in the same run.
bench: $(BIN)/.installed
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean-data:
	rm -rf $(DATA)

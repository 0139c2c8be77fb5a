# Kitting: `make run` brings the whole system up on this machine, `make test` runs every test.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TOOLS := tools/asyncapi/node_modules/.installed

.PHONY: run test lint typecheck unit bench demo clean install kcat chromium tesseract

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_TOOLS): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	cd tools/asyncapi && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_TOOLS)

# kcat: the plain Kafka client the contract tests produce and consume with (Debian package).
kcat:
	@command -v kcat >/dev/null || apt-get install -y -q kcat >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q kcat >/dev/null 2>&1) || \
	  echo "kcat could not be installed: the kcat test will be skipped"

# tesseract: Debian's OCR engine (with its English data) that reads faxed jobs.
tesseract:
	@command -v tesseract >/dev/null || apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null 2>&1) || \
	  echo "tesseract could not be installed: faxes cannot be read and the OCR tests will be skipped"

# chromium: Debian's headless browser for the report's rendering test (Playwright drives it; no
# browser is ever downloaded by Playwright itself).
chromium:
	@command -v chromium >/dev/null || apt-get install -y -q chromium >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1) || \
	  echo "chromium could not be installed: the report rendering test will be skipped"

install: $(STAMP) $(NODE_TOOLS) kcat chromium tesseract

run: $(STAMP) tesseract
	$(BIN)/kitting up

demo: $(STAMP)
	$(BIN)/kitting demo --json

lint: $(STAMP)
	$(BIN)/ruff check schemas streams agents tests bench
	$(BIN)/ruff format --check schemas streams agents tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/kit.py
	$(BIN)/python bench/matching.py

clean:
	rm -rf $(VENV) var tools/asyncapi/node_modules

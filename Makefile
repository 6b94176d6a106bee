# The two commands the README opens with: `make demo` and `make test`. Everything they need is installed here.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MOTO_EC2_LOAD_DEFAULT_AMIS := false
# System libraries: WeasyPrint renders with Pango; DejaVu fonts give the PDF a consistent face; HarfBuzz-subset
# embeds font subsets in C (without it WeasyPrint falls back to fontTools, ~1.5 s more per PDF).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libharfbuzz-subset0

.PHONY: demo test lint sysdeps bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: sysdeps $(BIN)/.installed
	$(BIN)/auditpack demo --out auditpack-demo

test: sysdeps $(BIN)/.installed lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# ruff for the code, import-linter for the layers (the contracts in pyproject.toml, drawn in docs/architecture.md).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: sysdeps $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) auditpack-demo auditpack-demo-previous auditpack-demo-incident build dist *.egg-info src/*.egg-info

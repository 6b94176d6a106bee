# The two commands the README opens with: `make demo` and `make test`. Everything they need is installed here.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MOTO_EC2_LOAD_DEFAULT_AMIS := false
# System libraries: WeasyPrint renders with Pango; DejaVu fonts give the PDF a consistent face; HarfBuzz-subset
# embeds font subsets in C (without it WeasyPrint falls back to fontTools, slower: docs/report.md). chromium and
# chromium-driver run report.html in a real browser for its tests and bench/report_browser.py (selenium); where
# they cannot be installed, those tests skip and say why, so they are installed on a best-effort basis.
# poppler-utils: pdftotext reads report.pdf's word boxes back for the layout tests (tests/pdflayout.py).
BROWSER_PACKAGES := chromium chromium-driver
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core libharfbuzz-subset0 poppler-utils \
	$(BROWSER_PACKAGES)

.PHONY: demo test lint sysdeps bench bench-peer clean

# The demo needs the package and the emulator (the `demo` extra); the tests need the development extras too,
# a superset, so installing those also satisfies the demo.
$(BIN)/.installed-demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[demo]'
	touch $@

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(BIN)/.installed-demo

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  required=""; for p in $$missing; do case " $(BROWSER_PACKAGES) " in *" $$p "*) ;; *) required="$$required $$p";; esac; done; \
	  $$SUDO apt-get update -qq || exit 1; \
	  if [ -n "$$required" ]; then $$SUDO apt-get install -y -qq $$required || exit 1; fi; \
	  $$SUDO apt-get install -y -qq $(BROWSER_PACKAGES) \
	    || echo "could not install $(BROWSER_PACKAGES): the browser tests will skip (see README)"; \
	fi

demo: sysdeps $(BIN)/.installed-demo
	$(BIN)/auditpack demo --out auditpack-demo

test: sysdeps $(BIN)/.installed lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# ruff for the code, import-linter for the layers (the contracts in pyproject.toml, drawn in docs/architecture.md).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: sysdeps $(BIN)/.installed
	$(BIN)/python bench/run.py

# The peer the end-to-end target is measured against (docs/performance.md): Prowler from the package index, in a
# virtual environment of its own (its dependencies would clash with ours; the product never depends on it).
# The bench runs it whenever this environment holds it; `bench/run.py --no-peer` skips it.
PEER_VENV := bench/.peer-venv
PEER_VERSION ?= 5.46.0
$(PEER_VENV)/.installed:
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q 'prowler==$(PEER_VERSION)'
	touch $@

bench-peer: sysdeps $(BIN)/.installed $(PEER_VENV)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(PEER_VENV) auditpack-demo auditpack-demo-previous auditpack-demo-incident build dist *.egg-info \
	  src/*.egg-info

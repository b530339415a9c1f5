# formsmith: `make demo` and `make test` are all a newcomer needs. Both are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# fonts-noto-cjk: the serif/sans CJK faces every document uses.
# libharfbuzz-subset0: WeasyPrint subsets CJK fonts with HarfBuzz (~0.2 s a letter) instead of
# fontTools (~10 s a letter).
# libreoffice-writer-nogui: turns the .docx documents (Word templates) into PDF, headless;
# python3-uno: the UNO bridge formsmith drives it through (not pulled in without recommends).
# qpdf, ghostscript, poppler-utils (pdfsig, pdftoppm): the independent checks the conformance
# tests run on every issued file.
# chromium: the real headless browser the web app's end-to-end tests drive (pytest-playwright
# with executable_path: Playwright's own browser download is not reachable here).
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libreoffice-writer-nogui python3-uno qpdf ghostscript poppler-utils chromium

# The reference PDF/A validator, beside the checkout (it installs its Java libraries on first use).
VERAPDF ?= ../shared/tools/verapdf/verapdf

.PHONY: demo test lint lock setup system-packages venv validators bench gallery docs clean-demo

demo: setup
	$(BIN)/formsmith --home . init --demo .

# Every test, a test file to a worker, three workers (on two cores: many tests wait on the
# processes they start, kill or race: validators, LibreOffice, the browser, the server) (a file's tests share their renders; the
# conformance scenarios are split over three files); the 15 slowest are listed at the end.
# `-m "not slow"` skips the month-end, crash and conformance scenarios while iterating; CI
# runs everything.
test: setup validators lint
	$(BIN)/python -m pytest -q -n 3 --dist loadfile --durations=15

# ruff over the code, the tests and the scripts; mypy over the package; the import layers.
lint: venv
	$(BIN)/ruff check formsmith tests bench docs
	$(BIN)/mypy
	$(BIN)/lint-imports

# Refresh requirements.lock deliberately: the newest versions pyproject.toml's ranges allow,
# each pinned with its hashes. `make test` afterwards, then commit the lock.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
	  --python-version 3.11 --upgrade -o requirements.lock

bench: setup
	$(BIN)/python bench/render_latency.py
	$(BIN)/python bench/store_scale.py
	$(BIN)/python bench/import_scale.py
	$(BIN)/python bench/dunning_run.py --letters 2000 --engines html,typst --like-raw
	$(BIN)/python bench/ingest_pages.py
	$(BIN)/python bench/signing.py
	$(BIN)/python bench/docx_latency.py
	$(BIN)/python bench/web_latency.py

# The first page of every template as docs/gallery/<id>.png, and the README block showing them.
# The counter's screens as docs/gallery/web/*.png: the browser test's morning, photographed.
gallery: setup
	$(BIN)/python docs/gallery/make_gallery.py
	FORMSMITH_SCREENSHOTS=docs/gallery/web $(BIN)/python -m pytest -q tests/test_web_browser.py

# docs/cli.md, the reference of every command and option, written from the click commands
# (tests/test_docs.py fails when it is stale or a command or option has no help text).
docs: venv
	$(BIN)/python docs/make_cli_reference.py

setup: system-packages venv

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

venv: $(BIN)/.installed

# Exactly the locked versions, every file checked against its hash; then formsmith itself,
# editable, built by the locked setuptools (nothing unpinned is fetched).
$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

# The first veraPDF call unpacks it and installs its Java libraries: done once here, not by
# two test workers at the same time. Without the validator the conformance tests say so and skip.
validators:
	@if [ -x "$(VERAPDF)" ]; then "$(VERAPDF)" --version >/dev/null; \
	else echo "veraPDF not found at $(VERAPDF): the PDF/A conformance tests will be skipped"; fi

clean-demo:
	rm -rf records/* output/* archive formsmith.toml
	touch records/.gitkeep output/.gitkeep

# formsmith: `make demo` and `make test` are all a newcomer needs. Both are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# fonts-noto-cjk: the serif/sans CJK faces every document uses.
# libharfbuzz-subset0: WeasyPrint subsets CJK fonts with HarfBuzz (~0.2 s a letter) instead of
# fontTools (~10 s a letter).
# libreoffice-writer-nogui: turns the .docx documents (Word templates) into PDF, headless.
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libreoffice-writer-nogui python3-uno qpdf ghostscript poppler-utils

.PHONY: demo test setup system-packages venv bench gallery clean-demo

demo: setup
	$(BIN)/formsmith --home . init --demo .

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/render_latency.py
	$(BIN)/python bench/store_scale.py
	$(BIN)/python bench/import_scale.py
	$(BIN)/python bench/dunning_run.py --letters 2000 --engines html,typst --like-raw
	$(BIN)/python bench/ingest_pages.py
	$(BIN)/python bench/signing.py
	$(BIN)/python bench/docx_latency.py

# The first page of every template as docs/gallery/<id>.png, and the README block showing them.
gallery: setup
	$(BIN)/python docs/gallery/make_gallery.py

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

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

clean-demo:
	rm -rf records/* output/* archive formsmith.toml
	touch records/.gitkeep output/.gitkeep

# The two commands that do everything on a fresh machine:
#   make book   environment + install + execute the notebooks (through jupyter-cache:
#               only those whose code changed) + build the HTML book
#   make test   environment + install + unit tests + nbval over every notebook
# and, for readers and writers:
#   make html   render the stored outputs, executing nothing (seconds; what CI builds)
#   make lab    open the notebooks in JupyterLab (installs it on first use)
# An active virtual environment ($VIRTUAL_ENV) is used as it is; otherwise .venv is created.

PYTHON ?= python3
VENV := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
BIN := $(VENV)/bin
# Touched after a successful install; re-installs only when the requirements change.
STAMP := $(VENV)/.rsslib-installed
NOTEBOOKS := $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
PYTEST_ARGS ?= -n 2 --dist loadfile

# numba caches compiled kernels here rather than next to the sources.
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

# The second numeric environment of the nbval pass: another OpenBLAS kernel (numpy), torch's
# generic kernels and MKL's compatible code path (torch), and one thread everywhere (numpy,
# numba, torch), so stored outputs are shown not to depend on any of them.
PORTABLE_ENV := OPENBLAS_CORETYPE=Sandybridge OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
	MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE

.PHONY: book html lab test test-portable check-html metrics data outputs bench lint format \
	clean distclean help

# Extra flags for jupyter-book build, e.g. JB_FLAGS="-W -n --keep-going" (CI: strict).
JB_FLAGS ?=
# Extra flags for JupyterLab, e.g. LAB_FLAGS=--no-browser on a remote machine.
LAB_FLAGS ?=
RENDER_CONFIG := _build/render_config.yml

help:
	@echo "make book           execute changed notebooks (jupyter-cache) and build _build/html"
	@echo "make html           build _build/html from the stored outputs, executing nothing"
	@echo "make lab            open the notebooks in JupyterLab (installed on first use)"
	@echo "make metrics        visible code, asserts and captions per notebook (book rules)"
	@echo "make test           unit tests + nbval regression test of every notebook"
	@echo "make data           Fashion-MNIST: Debian package as root, else a checked download"
	@echo "make test-portable  nbval again under another BLAS kernel, single-threaded"
	@echo "make check-html     load every page of _build/html in headless Chromium, check it"
	@echo "                    (widths, figure sizes and captions, code cell lengths, math)"
	@echo "make outputs        re-execute every notebook in place (refresh stored outputs)"
	@echo "make bench          run the benchmarks in benchmarks/"
	@echo "make lint           ruff check + ruff format --check"
	@echo "make clean          remove build outputs and caches (keeps the environment)"
	@echo "make distclean      clean, and remove .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# Real data that must ship inside a package (see rsslib/datasets.py): present already, or
# Debian's dataset-fashion-mnist when run as root with apt, or a checked download.
data: $(STAMP)
	@if $(BIN)/python -c "from rsslib.datasets import fashion_mnist as f; f('test')" \
	    2>/dev/null; then \
	  echo "Fashion-MNIST: present and checked"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq dataset-fashion-mnist >/dev/null; \
	else \
	  $(BIN)/python -m rsslib fetch-data; \
	fi

# jupyter-cache (_build/.jupyter_cache) re-executes a notebook only when its code changed;
# Sphinx rebuilds only the pages whose sources changed.
book: $(STAMP) data
	$(BIN)/jupyter-book build $(JB_FLAGS) .
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The stored outputs (proven by nbval) rendered as they are; works from any folder
# (make -C path/to/repo html), since the generated config holds absolute extension paths.
html: $(STAMP)
	$(BIN)/python scripts/render_config.py $(RENDER_CONFIG) >/dev/null
	$(BIN)/jupyter-book build --all $(JB_FLAGS) --config $(RENDER_CONFIG) .
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

lab: $(STAMP)
	@$(BIN)/python -c "import jupyterlab" 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet "jupyterlab>=4,<5"
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_FLAGS)

metrics: $(STAMP)
	$(BIN)/python scripts/book_metrics.py --check

test: $(STAMP) data
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-portable: $(STAMP)
	$(PORTABLE_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS) book

check-html: $(STAMP)
	$(BIN)/python scripts/book_metrics.py --check
	$(BIN)/python scripts/check_html.py

outputs: $(STAMP)
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter execute --inplace "$$nb" || exit 1; \
	done

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks yet"; break; }; \
	  echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache .numba_cache
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -not -path './.venv/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv *.egg-info

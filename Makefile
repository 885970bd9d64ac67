# The two commands that do everything on a fresh machine:
#   make book   environment + install + execute every notebook + build the HTML book
#   make test   environment + install + unit tests + nbval over every notebook
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

.PHONY: book test test-portable check-html data outputs bench lint format clean distclean help

help:
	@echo "make book           build the HTML book into _build/html (executes every notebook)"
	@echo "make test           unit tests + nbval regression test of every notebook"
	@echo "make data           Fashion-MNIST: Debian package as root, else a checked download"
	@echo "make test-portable  nbval again under another BLAS kernel, single-threaded"
	@echo "make check-html     load every page of _build/html in headless Chromium, check it"
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

book: $(STAMP) data
	$(BIN)/jupyter-book build --all .
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

test: $(STAMP) data
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-portable: $(STAMP)
	$(PORTABLE_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS) book

check-html: $(STAMP)
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
	rm -rf _build .pytest_cache .hypothesis .ruff_cache .numba_cache .render_config.yml
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -not -path './.venv/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv *.egg-info

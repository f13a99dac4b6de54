# Pre-training to Prompting: the two commands of the README, and a few helpers.
#   make lab    set up .venv (first time only) and open the course in JupyterLab at notebook 00
#   make test   set up .venv (first time only) and run every test: unit tests, notebooks, solutions
PYTHON ?= python3
VENV ?= .venv
# Extra pip flags for torch, e.g. TORCH_PIP_FLAGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_FLAGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# The suite runs offline: no hub downloads, no outbound sockets (see tests/conftest.py).
TEST_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COURSE_BLOCK_NETWORK=1 MPLBACKEND=Agg TOKENIZERS_PARALLELISM=false PYTHONHASHSEED=0

.PHONY: setup lab test test-unit clean-cache colab-setup

setup: $(STAMP)
	@# Checks both shipped models; converts the chat model to safetensors in .cache once (~25 s, then instant).
	@HF_HUB_OFFLINE=1 $(BIN)/python -m course_utils.pretrained

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
	$(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env tests/unit notebooks solutions tests/notebooks

test-unit: setup
	$(TEST_ENV) $(BIN)/python -m pytest -p no:cacheprovider tests/unit

clean-cache:
	rm -rf .cache

# Colab: install into the notebook's own Python, keeping Colab's CUDA build of torch.
colab-setup:
	grep -v '^torch==' requirements.txt > /tmp/course-requirements.txt
	python -m pip install --quiet -r /tmp/course-requirements.txt
	python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	python -m pip install --quiet --no-deps -e .

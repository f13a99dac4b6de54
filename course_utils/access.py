"""Who may see what: the roles, the one visibility rule, and a check that no prompt shows a document its reader may not see.

Used through `data`, `retrieval`, `rag`, `prompt_eval` and `assistant` by notebooks 04 (access control before
ranking), 06 (few-shot examples drawn only from documents every user may see) and 07 (the assistant's tools).
The rule is default deny: every function that puts handbook text in front of a model takes the asker's role and
rejects anything that is not exactly one of `ROLES`. Reading every document is an explicit choice, `UNFILTERED`,
for work that is not about users (building an index, measuring retrieval), never for text that reaches a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

Record = dict[str, Any]

ROLES = ("all", "hr", "it")
PUBLIC = "all"  # the role with the least access: a document it may see, every role may see


class AccessError(ValueError):
    """A call on an access-controlled path has no valid role, or a document has no valid visibility."""


class Unfiltered:
    """The type of `UNFILTERED`: the explicit choice to read every document, whatever its visibility."""

    def __repr__(self) -> str:
        return "UNFILTERED"


UNFILTERED = Unfiltered()


def check_role(role: object) -> str:
    """Return `role` if it is exactly one of `ROLES`; raise AccessError otherwise (no case folding, no other types)."""
    if isinstance(role, str) and role in ROLES:
        return role
    if role is UNFILTERED:
        raise AccessError("UNFILTERED reads every document; text for a user needs that user's role, one of " f"{ROLES}.")
    raise AccessError(f"Unknown role {role!r}: pass the asker's role, exactly one of {ROLES} (a string, lower case, no spaces).")


def check_document(document: Record) -> Record:
    """Return `document` if its `visibility` is one of `ROLES`; raise AccessError otherwise (it could not be shown safely)."""
    if document.get("visibility") not in ROLES:
        raise AccessError(f"Document {document.get('doc_id')!r} has visibility {document.get('visibility')!r}; give it one of {ROLES}.")
    return document


def is_visible_to(document: Record, role: str) -> bool:
    """True if a user with `role` may see `document`: its visibility is "all" or that role. The course's one visibility rule."""
    check_role(role)
    return check_document(document)["visibility"] in (PUBLIC, role)


def visible_documents(documents: Sequence[Record], role: str) -> list[Record]:
    """The documents a user with `role` may see, in their order."""
    check_role(role)  # also when there are no documents: a bad role is an error, not an empty answer
    return [document for document in documents if is_visible_to(document, role)]


def visible_ids(documents: Sequence[Record], role: str) -> list[str]:
    """The ids of the documents a user with `role` may see, in document order (the filter retrieval applies before ranking)."""
    return [document["doc_id"] for document in visible_documents(documents, role)]


def hidden_ids(source_ids: Sequence[str], documents: Sequence[Record], role: str) -> list[str]:
    """The ids among `source_ids` that a user with `role` may not see (a leak when non-empty)."""
    by_id = {document["doc_id"]: document for document in documents}
    unknown = [doc_id for doc_id in source_ids if doc_id not in by_id]
    if unknown:
        raise KeyError(f"Unknown document ids {unknown[:5]}: pass the documents the sources came from.")
    return [doc_id for doc_id in source_ids if not is_visible_to(by_id[doc_id], role)]


# --- Checking what reached a prompt ---------------------------------------------------------------

MIN_SENTENCE_CHARS = 20  # shorter sentences ("CONFIDENTIAL.") are too common to identify a document


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def prompt_text(prompt: Any) -> str:
    """A prompt as one string: a raw text as it is, chat messages as their contents joined."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, Sequence) and all(isinstance(message, Mapping) for message in prompt):
        return "\n".join(str(message.get("content", "")) for message in prompt)
    raise TypeError(f"A prompt is a string or a list of chat messages, got {type(prompt).__name__}.")


class LeakDetector:
    """Finds the documents `role` may not see in a prompt: by their id, or by a sentence of theirs no visible document has."""

    def __init__(self, documents: Sequence[Record], role: str) -> None:
        visible_text = _squeezed(" ".join(document["text"] for document in visible_documents(documents, role)))
        self.role = role
        self.fingerprints: dict[str, list[str]] = {}
        for document in documents:
            if not is_visible_to(document, role):
                sentences = (_squeezed(s) for s in re.split(r"(?<=[.!?])\s+", document["text"]))
                self.fingerprints[document["doc_id"]] = [s for s in sentences if len(s) >= MIN_SENTENCE_CHARS and s not in visible_text]

    def leaked_ids(self, prompt: Any) -> list[str]:
        """The ids of the documents this role may not see whose id or distinctive text appears in `prompt`."""
        text = _squeezed(prompt_text(prompt))
        return [doc_id for doc_id, sentences in self.fingerprints.items() if doc_id in text or any(s in text for s in sentences)]


def leaked_ids(prompt: Any, documents: Sequence[Record], role: str) -> list[str]:
    """The ids of the documents `role` may not see whose id or text appears in `prompt` (empty: no leak)."""
    return LeakDetector(documents, role).leaked_ids(prompt)


def count_leaks(prompts: Sequence[Any], documents: Sequence[Record], role: str) -> int:
    """How many of `prompts`, built for a user with `role`, show a document that role may not see (0 is the only safe count)."""
    detector = LeakDetector(documents, role)
    return sum(bool(detector.leaked_ids(prompt)) for prompt in prompts)

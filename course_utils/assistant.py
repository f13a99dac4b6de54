"""The course's closing assistant: every approach on one question set, one measured table, and an agent with RAG tools.

Used by notebook 07 (choosing and combining approaches). It composes what notebooks 01-06 built and re-implements
none of it: the tiny CPT and IFT models (`recipes.ensure_cpt`, `ensure_ift`), the shipped chat model and
the answer-from-sources LoRA adapter on it (`answering.ensure_answer_adapter`, prepared by `make setup` with notebook 03's
recipe, retrains it if it is missing), the base and fine-tuned embedders with their indexes (`rag`, `embedder_finetuning`), and notebook 06's
prompt variants (`prompt_eval`).

- An `Approach` is data: a model, a function that builds its prompt from a question and passages, an optional
  `Retriever` (RAG), and the `Cost`s it paid before its first answer, read from the runs earlier notebooks recorded.
  `answer_questions` runs one approach on a question set with one scorer (`evaluation.answer_matches`).
- `approach_row` turns a run into the article's pros/cons as numbers; `when_to_use` derives the closing guide from
  those numbers, so no recommendation is asserted by hand.
- `with_document` adds a new document to a copy of an index (freshness without retraining).
- The agent: two RAG `Tool`s (HR and IT documents, each filtered by the user's role *before* ranking), routers
  that pick a tool per question (by its written description, or by labelled example questions), and `Agent.ask`,
  which answers with citations. Every entry point that answers a user (`Agent.ask`, `answer_questions`) rejects a
  role that is not exactly one of `access.ROLES` before it does anything else, whatever the route.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import prompt_eval as pe
from .access import (
    PUBLIC,
    UNFILTERED,
    AccessError,
    LeakDetector,
    check_role,
    hidden_ids,  # noqa: F401 (assistant.hidden_ids, as notebook 07 calls it)
    visible_ids,
)
from .costs import Cost
from .data import Record, load_handbook, load_handbook_questions
from .evaluation import answer_matches
from .prompting import context_window, encode_prompt, generate_batch
from .rag import Context, Retriever
from .results import load_results
from .retrieval import embed_texts, subset_index, with_document

PromptFn = Callable[[str, Sequence[str]], Any]  # (question, passages) -> what the model reads
ROUTES = ("HR", "IT", "other")
SHORT_ANSWER_WORDS = 8  # the handbook's reference answers are a few words; a reply this short keeps the house style


# --- The use case: one held-out question set, and one document that is newer than every model -------------------


def evaluation_questions() -> list[Record]:
    """Every held-out single-answer question no earlier choice was made on: the test split, plus the validation
    questions except those notebook 06 chose its prompt variants on."""
    chosen_on = {example.example_id for example in pe.handbook_answer_task(n=pe.SELECTION_QUESTIONS, split="validation").examples}
    return [q for split in ("test", "validation") for q in load_handbook_questions(split) if q["type"] == "single" and q["qid"] not in chosen_on]


def held_out_questions(n: int = 24, split: str = "test", seed: int = 0) -> list[Record]:
    """The single-answer handbook questions every approach is scored on: notebook 06's balanced draw (same seed), n of them."""
    by_qid = {q["qid"]: q for q in load_handbook_questions(split)}
    return [by_qid[example.example_id] for example in pe.handbook_answer_task(n=n, split=split, seed=seed).examples]


# A SYNTHETIC policy written for notebook 07: it exists in no dataset, model or index built before it.
FRESH_DOCUMENT: Record = {
    "doc_id": "it-password-manager-2027",
    "title": "Password manager",
    "category": "it",
    "visibility": "all",
    "cluster": "it-password-manager-2027",
    "variant": "",
    "synthetic": True,
    "text": (
        "From 1 March 2027, every employee at Northwind Analytics must keep work passwords in the Keyward password "
        "manager. Install it from the Software Centre, where it is listed as Keyward Vault. The master password must be "
        "at least 16 characters long and is never written down. A forgotten master password is reset by the IT service "
        "desk after a video call with the employee. Team leads request a shared team vault with form IT-47."
    ),
}
FRESH_QUESTIONS: list[Record] = [
    {"qid": f"fresh-{number}", "question": question, "answer": answer, "gold_doc_ids": [FRESH_DOCUMENT["doc_id"]], "category": "it",
     "type": "single", "asker_visibility": "all", "split": "fresh", "synthetic": True}
    for number, (question, answer) in enumerate(
        (
            ("Which password manager must employees keep their work passwords in?", "Keyward"),
            ("Which form do team leads use to request a shared team vault?", "IT-47"),
            ("From which date must work passwords be kept in the password manager?", "1 March 2027"),
        ),
        start=1,
    )
]


# --- Indexes: copies with a document added, or restricted to a subset --------------------------------------------


def refreshed(approaches: Sequence["Approach"], document: Record) -> list["Approach"]:
    """Copies of the approaches whose retrievers also hold `document` (added to a copy of each index; nothing retrained)."""
    updated: dict[int, Retriever] = {}
    copies = []
    for approach in approaches:
        retriever = approach.retriever
        if retriever is not None and id(retriever) not in updated:
            index = with_document(retriever.index, retriever.embedder, document)
            updated[id(retriever)] = Retriever(retriever.embedder, index, [*retriever.documents, document], retriever.n_sentences)
        copies.append(replace(approach, retriever=updated[id(retriever)]) if retriever is not None else approach)
    return copies


# --- Retrieval and prompts ------------------------------------------------------------------------------------


def check_shots_are_public(shots: Sequence[pe.Example]) -> None:
    """Raise AccessError if a few-shot example shows a handbook document that not every role may see (a shot reaches every asker)."""
    handbook = load_handbook(UNFILTERED)
    public, detector = set(visible_ids(handbook, PUBLIC)), LeakDetector(handbook, PUBLIC)
    for shot in shots:
        restricted = [doc_id for doc_id in shot.source_ids if doc_id not in public]
        restricted += detector.leaked_ids("\n".join([*shot.context, shot.input, shot.target]))
        if restricted:
            raise AccessError(
                f"Few-shot example {shot.example_id!r} shows {sorted(set(restricted))}, which not every role may see: "
                "draw shots from prompt_eval.handbook_shot_pool(data.load_handbook(access.PUBLIC))."
            )


def variant_prompt_fn(task: Any, variant: Any, tokenizer: Any) -> PromptFn:
    """Prompts built by notebook 06's harness: `variant` on `task`, with the passages as the example's sources.

    The prompt function does not know who asks, so its few-shot examples must be ones every role may see (checked here).
    """
    if variant.reply_prefix or variant.step_by_step or variant.retry:
        raise ValueError(f"Variant {variant.name!r} needs a reply prefix, step-by-step parsing or a retry: score it with prompt_eval.evaluate_variant.")
    shots = pe.pick_shots(task, variant)
    check_shots_are_public(shots)

    def build(question: str, passages: Sequence[str]) -> Any:
        """The model input for one question (sources shown when there are passages)."""
        example = pe.Example("asked", question, "", tuple(passages))
        return pe.model_input(tokenizer, pe.build_prompt(task, variant, example, shots))

    return build


# --- What an approach cost before its first answer ----------------------------------------------------------


# The numbers notebook 07 reads from earlier notebooks' results (they cannot be rebuilt without rerunning them).
RECORDED_INPUTS = {
    "01_pretraining": ("big_flops", "big_dollars"),
    "05_embedding_finetuning": ("training_seconds", "training_pairs"),
    "06_prompt_engineering": (*(pe.best_variant_key(name) for name in pe.COMPARED_MODELS[:2]), "route_best_smol"),
}


def check_recorded_inputs(required: Mapping[str, Sequence[str]] = RECORDED_INPUTS) -> None:
    """Fail fast, before any rebuild, with one message naming every notebook whose recorded numbers are missing."""
    missing = []
    for notebook, keys in required.items():
        try:
            recorded = load_results(notebook)
        except FileNotFoundError:
            recorded = {}
        if any(key not in recorded for key in keys):
            missing.append(notebook)
    if missing:
        names = ", ".join(f"notebooks/{notebook}.ipynb" for notebook in missing)
        raise FileNotFoundError(f"This notebook reads numbers recorded by earlier notebooks: run {names} first, then rerun it.")


# --- Notebook 03's LoRA adapter on SmolLM2, rebuilt with the same settings when it is missing ---------------------


# --- Approaches, runs and the table -------------------------------------------------------------------------------


@dataclass
class Approach:
    """One way to answer: a model, how its prompt is built, an optional retriever (RAG), and what it cost to set up."""

    name: str
    model: Any
    tokenizer: Any
    prompt_fn: PromptFn
    retriever: Retriever | None = None
    costs: list[Cost] = field(default_factory=list)
    shots: int = 0  # labelled examples shown inside every prompt


@dataclass
class ApproachRun:
    """One approach's answers to a question set, with their sources and measured cost per answer."""

    name: str
    questions: list[Record]
    replies: list[str]
    source_ids: list[list[str]]
    seconds: list[float]  # per answer: retrieval + its share of the batched generation
    prompt_tokens: list[int]
    too_long: int = 0  # prompts that did not fit the model's context window (scored 0)
    ran: list[bool] = field(default_factory=list)  # per question: the prompt fitted and an answer was generated

    @property
    def scores(self) -> list[float]:
        """1.0 for each reply that contains the reference answer (`evaluation.answer_matches`), else 0.0."""
        return [answer_matches(reply, q["answer"]) for reply, q in zip(self.replies, self.questions)]

    @property
    def accuracy(self) -> float:
        """Share of questions answered correctly."""
        return sum(self.scores) / len(self.questions)

    @property
    def traceable_items(self) -> list[float]:
        """1.0 for each answer that was generated and comes with a gold document of its question as its source."""
        ran = self.ran or [True] * len(self.questions)
        return [float(r and bool(set(ids) & set(q["gold_doc_ids"]))) for r, ids, q in zip(ran, self.source_ids, self.questions)]

    @property
    def traceable(self) -> float:
        """Share of questions answered with a gold document as the source (a prompt that did not fit is no answer)."""
        return sum(self.traceable_items) / len(self.questions)

    @property
    def short_answers(self) -> float:
        """Share of replies in the handbook's short-answer style: 1 to SHORT_ANSWER_WORDS words."""
        return sum(1 <= len(reply.split()) <= SHORT_ANSWER_WORDS for reply in self.replies) / len(self.questions)

    @property
    def seconds_per_answer(self) -> float:
        """Mean seconds per answer (retrieval + batched generation)."""
        return sum(self.seconds) / len(self.questions)

    @property
    def mean_prompt_tokens(self) -> float:
        """Mean prompt length in tokens."""
        return sum(self.prompt_tokens) / len(self.questions)


def answer_questions(approach: Approach, questions: Sequence[Record], max_new_tokens: int = 16, batch_size: int = 24) -> ApproachRun:
    """Answer every question with one approach (greedy, batched), each asked with its asker's role; prompts too long score 0."""
    if not questions:
        raise ValueError("answer_questions needs at least one question.")
    for q in questions:  # every question is asked by someone: a bad role fails here even for an approach without retrieval
        check_role(q["asker_visibility"])
    contexts = [approach.retriever.context(q["question"], q["asker_visibility"]) if approach.retriever else Context() for q in questions]
    inputs = [approach.prompt_fn(q["question"], c.passages) for q, c in zip(questions, contexts)]
    lengths = [int(encode_prompt(approach.tokenizer, x).shape[1]) for x in inputs]
    fits = [i for i, n in enumerate(lengths) if n + max_new_tokens <= context_window(approach.model)]
    generations = generate_batch(approach.model, approach.tokenizer, [inputs[i] for i in fits], max_new_tokens=max_new_tokens, batch_size=batch_size) if fits else []
    replies, generation_seconds = [""] * len(questions), [0.0] * len(questions)
    for i, generation in zip(fits, generations):
        replies[i], generation_seconds[i] = generation.text, generation.seconds
    return ApproachRun(
        name=approach.name, questions=list(questions), replies=replies, source_ids=[c.source_ids for c in contexts],
        seconds=[c.seconds + s for c, s in zip(contexts, generation_seconds)], prompt_tokens=lengths, too_long=len(questions) - len(fits),
        ran=[i in set(fits) for i in range(len(questions))],
    )


COLUMNS = ("accuracy", "new-document accuracy", "traceable answers", "short answers", "seconds per answer", "prompt tokens",
           "compute seconds", "compute FLOPs", "labelled examples")


def approach_row(approach: Approach, run: ApproachRun, fresh_run: ApproachRun) -> dict[str, float]:
    """The article's pros and cons for one approach, as measured numbers (one row of the decision table)."""
    return {
        "accuracy": run.accuracy,
        "new-document accuracy": fresh_run.accuracy,
        "traceable answers": run.traceable,
        "short answers": run.short_answers,
        "seconds per answer": run.seconds_per_answer,
        "prompt tokens": run.mean_prompt_tokens,
        "compute seconds": sum(cost.seconds for cost in approach.costs),
        "compute FLOPs": sum(cost.flops for cost in approach.costs),
        "labelled examples": sum(cost.labelled_examples for cost in approach.costs) + approach.shots,
    }


# --- The closing guide, derived from the table ----------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """A requirement and the measured column that decides it (`answering_only`: only approaches with accuracy > 0 count)."""

    key: str
    need: str
    column: str
    higher_is_better: bool = True
    answering_only: bool = False


NEEDS = (
    Need("accuracy", "the most correct answers about private documents", "accuracy"),
    Need("fresh", "facts published after training, without retraining", "new-document accuracy"),
    Need("traceable", "answers a reader can check against their source", "traceable answers"),
    Need("labels", "the fewest labelled examples (among those that answer)", "labelled examples", higher_is_better=False, answering_only=True),
    Need("latency", "the shortest wait per answer (among those that answer)", "seconds per answer", higher_is_better=False, answering_only=True),
    Need("compute", "the least compute before the first answer (among those that answer)", "compute FLOPs", higher_is_better=False, answering_only=True),
    Need("style", "short answers in a fixed house style (among those that answer)", "short answers", answering_only=True),
)


def best_for(table: Mapping[str, Mapping[str, float]], need: Need) -> list[str]:
    """The approaches that qualify for `need`, best first (ties: more accurate, then less compute, fewer labels, faster)."""
    candidates = [name for name, row in table.items() if not need.answering_only or row["accuracy"] > 0]
    sign = 1.0 if need.higher_is_better else -1.0

    def rank(name: str) -> tuple[float, ...]:
        """Sort key: the need's column first, then the tie-breakers."""
        row = table[name]
        return (-sign * row[need.column], -row["accuracy"], row["compute FLOPs"], row["labelled examples"], row["seconds per answer"])

    return sorted(candidates, key=rank)


def when_to_use(table: Mapping[str, Mapping[str, float]], needs: Sequence[Need] = NEEDS) -> list[dict[str, str]]:
    """For each need, the approach the measured table ranks first, with its number and the runner-up's."""
    if not table:
        raise ValueError("when_to_use needs a table with at least one approach.")
    rows = []
    for need in needs:
        ranked = best_for(table, need)
        best = ranked[0] if ranked else "none of the measured approaches"
        runner_up = ranked[1] if len(ranked) > 1 else ""
        rows.append({
            "key": need.key,
            "if you need": need.need,
            "use": best,
            "measured": f"{need.column} {table[best][need.column]:.3g}" if ranked else "",
            "next best": f"{runner_up} ({table[runner_up][need.column]:.3g})" if runner_up else "",
        })
    return rows


# --- The agent: routers, tools, and answers with citations ----------------------------------------------------


def route_of(question: Record) -> str:
    """The route a handbook question should take: HR, IT or other (from its gold document's category)."""
    return pe.ROUTES[question["category"]]


def routing_questions(n: int = 30, split: str = "test", seed: int = 0) -> list[Record]:
    """Handbook questions balanced over HR, IT and other: notebook 06's routing draw (same seed), n of them."""
    by_qid = {q["qid"]: q for q in load_handbook_questions(split)}
    return [by_qid[example.example_id] for example in pe.routing_task(n=n, split=split, seed=seed).examples]


def knn_vote(similarities: Sequence[float], labels: Sequence[str], k: int) -> str:
    """Majority label of the k most similar examples; a tie goes to the tied label of the most similar example."""
    if len(similarities) != len(labels) or not labels:
        raise ValueError(f"Need one label per similarity and at least one example; got {len(similarities)} and {len(labels)}.")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}.")
    nearest = list(np.argsort(-np.asarray(similarities, dtype=np.float64), kind="stable")[:k])
    votes = Counter(labels[i] for i in nearest)
    top = max(votes.values())
    return next(labels[i] for i in nearest if votes[labels[i]] == top)


class DescriptionRouter:
    """Routes to the route whose written description is most similar to the question (no labelled data needed)."""

    def __init__(self, embedder: Any, descriptions: Mapping[str, str]) -> None:
        if not descriptions:
            raise ValueError("DescriptionRouter needs at least one route description.")
        self.embedder, self.labels = embedder, list(descriptions)
        self.vectors = embed_texts(embedder, list(descriptions.values()))
        self.labelled_examples = 0

    def route_many(self, questions: Sequence[str]) -> list[str]:
        """One route per question."""
        scores = embed_texts(self.embedder, questions) @ self.vectors.T
        return [self.labels[i] for i in scores.argmax(axis=1)]


class ExampleRouter:
    """Routes by a vote of the k most similar labelled example questions (k-nearest neighbours in embedding space)."""

    def __init__(self, embedder: Any, questions: Sequence[str], labels: Sequence[str], k: int = 5) -> None:
        if len(questions) != len(labels) or not questions:
            raise ValueError(f"Need one label per example question and at least one; got {len(questions)} and {len(labels)}.")
        self.embedder, self.labels, self.k = embedder, list(labels), k
        self.vectors = embed_texts(embedder, questions)
        self.labelled_examples = len(questions)

    def route_many(self, questions: Sequence[str]) -> list[str]:
        """One route per question."""
        similarities = embed_texts(self.embedder, questions) @ self.vectors.T
        return [knn_vote(row, self.labels, self.k) for row in similarities]


def routing_hits(router: Any, questions: Sequence[Record]) -> list[float]:
    """1.0 for each question the router sends to its category's route, else 0.0 (per-question scores for a CI)."""
    if not questions:
        raise ValueError("routing_hits needs at least one question.")
    routes = router.route_many([q["question"] for q in questions])
    return [float(route == route_of(q)) for route, q in zip(routes, questions)]


def routing_accuracy(router: Any, questions: Sequence[Record]) -> tuple[float, float]:
    """(share of questions routed to their category's route, milliseconds per question) for one router."""
    if not questions:
        raise ValueError("routing_accuracy needs at least one question.")
    started = time.perf_counter()
    hits = routing_hits(router, questions)
    milliseconds = 1000 * (time.perf_counter() - started) / len(questions)
    return sum(hits) / len(hits), milliseconds


TOOL_CATEGORIES = {"HR": "hr", "IT": "it"}
TOOL_DESCRIPTIONS = {
    "HR": "HR policies: vacation and leave, pay and salary, benefits, expenses and travel, hiring, performance reviews, leaving the company.",
    "IT": "IT guides: laptops, accounts and passwords, VPN and remote access, printers, servers, software, security incidents.",
    "other": "Other company matters: responsible AI and ethics, the code of conduct, the company, its offices and its history.",
}


@dataclass
class Tool:
    """A RAG tool: a name, the description a router reads, and a retriever over its own documents."""

    name: str
    description: str
    retriever: Retriever


def build_tools(embedder: Any, vector_index: Any, documents: Sequence[Record]) -> dict[str, Tool]:
    """The HR and IT tools: each an index over its category's documents (every visibility; users are filtered at query time)."""
    tools = {}
    for name, category in TOOL_CATEGORIES.items():
        own = [document for document in documents if document["category"] == category]
        index = subset_index(vector_index, [document["doc_id"] for document in own])
        tools[name] = Tool(name, TOOL_DESCRIPTIONS[name], Retriever(embedder, index, own))
    return tools


NO_TOOL_REPLY = "I can only answer HR and IT questions; please ask the team concerned."
NOTHING_VISIBLE_REPLY = "No document you are allowed to see answers this."


@dataclass
class AgentAnswer:
    """The agent's answer to one question: the route it took, the sources it showed the model, the reply, the time."""

    question: str
    role: str
    route: str
    source_ids: list[str]
    source_titles: list[str]
    reply: str
    seconds: float

    @property
    def text(self) -> str:
        """The reply with its citations: "[1]" after the answer and a numbered source list."""
        if not self.source_ids:
            return self.reply
        numbers = " ".join(f"[{n}]" for n in range(1, len(self.source_ids) + 1))
        sources = "; ".join(f"[{n}] {title} ({doc_id})" for n, (title, doc_id) in enumerate(zip(self.source_titles, self.source_ids), start=1))
        return f"{self.reply} {numbers}\nSources: {sources}"


class Agent:
    """The internal assistant: route the question to a tool, retrieve what the user may see, answer from it, cite it."""

    def __init__(self, router: Any, tools: Mapping[str, Tool], answer_fn: Callable[[Any], str], prompt_fn: PromptFn) -> None:
        self.router, self.tools, self.answer_fn, self.prompt_fn = router, dict(tools), answer_fn, prompt_fn

    def ask(self, question: str, role: str, route: str | None = None) -> AgentAnswer:
        """Answer one question for a user with `role` (exactly one of `access.ROLES`); `route` forces a tool instead of asking the router."""
        check_role(role)  # default deny: before routing, so no route can answer a caller without a valid role
        started = time.perf_counter()
        route = route or self.router.route_many([question])[0]
        tool = self.tools.get(route)
        if tool is None:
            return AgentAnswer(question, role, route, [], [], NO_TOOL_REPLY, time.perf_counter() - started)
        context = tool.retriever.context(question, role)
        if not context.source_ids:
            return AgentAnswer(question, role, route, [], [], NOTHING_VISIBLE_REPLY, time.perf_counter() - started)
        reply = self.answer_fn(self.prompt_fn(question, context.passages))
        titles = [tool.retriever.document(doc_id)["title"] for doc_id in context.source_ids]
        return AgentAnswer(question, role, route, context.source_ids, titles, reply, time.perf_counter() - started)


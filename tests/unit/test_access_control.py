"""Access control on every path into a prompt: retrieval, few-shot examples, experiments, documents added at run time, the agent.

Every builder is run for every handbook question and every role, and no prompt may hold the id or a sentence of a
document its asker may not see. The exhaustive runs use a bag-of-words embedder with no model: the filter must hold
whatever the ranking, and a cheap embedder keeps thousands of prompts fast. Bad role values must raise everywhere.
"""

from __future__ import annotations

import dataclasses
import re
import zlib

import numpy as np
import pytest

from course_utils import access, answering, assistant, data, rag, retrieval
from course_utils import prompt_eval as pe
from course_utils.access import UNFILTERED, AccessError
from course_utils.prompting import extractive_rag_prompt, rag_prompt

BAD_ROLES = [None, "", "HR", "hr ", " it", "All", "admin", "hr,it", 0, 1, True, ["hr"], b"hr", UNFILTERED]


class BagOfWordsEmbedder:
    """A deterministic embedder without a model: hashed word counts, L2-normalised."""

    course_name = "bag-of-words-test"

    def encode(self, texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True):
        vectors = np.zeros((len(texts), 512), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % 512] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


@pytest.fixture(scope="module")
def handbook():
    return data.load_handbook(UNFILTERED)


@pytest.fixture(scope="module")
def questions():
    return data.load_handbook_questions()


@pytest.fixture(scope="module")
def words():
    return BagOfWordsEmbedder()


@pytest.fixture(scope="module")
def words_index(words, handbook):
    return retrieval.build_vector_index(words, data.texts_of(handbook, "doc_id"), data.texts_of(handbook))


@pytest.fixture(scope="module")
def detectors(handbook):
    return {role: access.LeakDetector(handbook, role) for role in access.ROLES}


# --- the one visibility rule and exact role validation ---


def test_the_visibility_rule_is_all_or_the_users_own_role():
    public, hr_doc, it_doc = ({"doc_id": v, "visibility": v} for v in ("all", "hr", "it"))
    assert [access.is_visible_to(d, "all") for d in (public, hr_doc, it_doc)] == [True, False, False]
    assert [access.is_visible_to(d, "hr") for d in (public, hr_doc, it_doc)] == [True, True, False]
    assert [access.is_visible_to(d, "it") for d in (public, hr_doc, it_doc)] == [True, False, True]


@pytest.mark.parametrize("role", BAD_ROLES, ids=repr)
def test_a_role_that_is_not_exactly_one_of_the_roles_is_rejected(role):
    with pytest.raises(AccessError, match="role"):
        access.check_role(role)
    with pytest.raises(AccessError):
        access.visible_ids([], role)  # even with nothing to filter: an error, not an empty answer
    if role is not UNFILTERED:  # the one explicit way to read every document
        with pytest.raises(AccessError):
            data.load_handbook(role)


@pytest.mark.parametrize("visibility", [None, "HR", "public", ""])
def test_a_document_without_a_valid_visibility_is_never_shown(visibility):
    with pytest.raises(AccessError, match="visibility"):
        access.is_visible_to({"doc_id": "x", "visibility": visibility}, "all")
    with pytest.raises(AccessError, match="visibility"):
        access.is_visible_to({"doc_id": "x"}, "hr")


def test_every_search_names_its_filter(words, words_index):
    keyword_index = retrieval.build_bm25_index(["a", "b"], ["salary bands", "printer jams"])
    with pytest.raises(TypeError, match="allowed_ids"):
        retrieval.search(words_index, words, "salary bands", k=3)
    with pytest.raises(TypeError, match="allowed_ids"):
        retrieval.bm25_search(keyword_index, "salary")
    for call in (
        lambda: retrieval.search(words_index, words, "salary bands", k=3, allowed_ids=None),
        lambda: retrieval.search_many(words_index, words, ["salary bands"], k=3, allowed_ids=None),
        lambda: retrieval.search_above(words_index, words, "salary bands", 0.5, allowed_ids=None),
        lambda: retrieval.bm25_search(keyword_index, "salary", allowed_ids=None),
    ):
        with pytest.raises(AccessError, match="UNFILTERED"):
            call()
    with pytest.raises(TypeError, match="one string"):
        retrieval.search(words_index, words, "salary bands", k=3, allowed_ids="hr-salary-bands-sales")
    assert len(retrieval.search(words_index, words, "salary bands", k=3, allowed_ids=UNFILTERED)) == 3


# --- every entry point rejects a bad role, whatever it would have done next ---


@pytest.fixture(scope="module")
def words_tools(words, words_index, handbook):
    return assistant.build_tools(words, words_index, handbook)


def capturing_agent(tools, router=None):
    """An agent whose "model" records every prompt it is given (and answers with an empty string)."""
    prompts = []
    agent = assistant.Agent(router, tools, answer_fn=lambda prompt: prompts.append(prompt) or "", prompt_fn=answering.answer_prompt)
    return agent, prompts


@pytest.mark.parametrize("role", BAD_ROLES, ids=repr)
def test_every_access_controlled_entry_point_rejects_a_bad_role(role, words, words_index, words_tools, handbook):
    question = next(q for q in data.load_handbook_questions("test") if q["type"] == "single")
    retriever = rag.Retriever(words, words_index, handbook)
    agent, prompts = capturing_agent(words_tools)
    calls = {
        "retrieve_for_role": lambda: rag.retrieve_for_role(words_index, words, "salary", handbook, role),
        "prompt_for_user": lambda: rag.prompt_for_user("salary", role, words_index, words, handbook, rag_prompt),
        "prompts_for_user": lambda: rag.prompts_for_user(["salary"], role, words_index, words, handbook, rag_prompt),
        "rag_context": lambda: rag.rag_context(words, words_index, handbook, "salary", role),
        "rag_context, no documents": lambda: rag.rag_context(words, words_index, [], "salary", role),
        "gold_and_distractors": lambda: rag.gold_and_distractors(words, words_index, handbook, question, role),
        "Retriever.search": lambda: retriever.search("salary", role),
        "Retriever.context": lambda: retriever.context("salary", role),
        **{f"Agent.ask, route {route}": (lambda route=route: agent.ask("What bonus target do Sales employees have?", role, route=route))
           for route in ("HR", "IT", "other")},
        "answer_questions": lambda: assistant.answer_questions(
            assistant.Approach("closed book", None, None, lambda q, p: q), [dict(question, asker_visibility=role)]),
        "hidden_ids": lambda: access.hidden_ids([handbook[0]["doc_id"]], handbook, role),
    }
    for name, call in calls.items():
        with pytest.raises(AccessError):
            call()
            pytest.fail(f"{name} accepted the role {role!r}")
    assert prompts == []  # nothing reached a model


def test_the_agent_rejects_a_bad_role_before_asking_the_router(words_tools):
    class Spy:
        asked = False

        def route_many(self, questions):
            Spy.asked = True
            return ["other"]

    agent, _ = capturing_agent(words_tools, Spy())
    with pytest.raises(AccessError):
        agent.ask("What is the company's history?", "Admin")
    assert not Spy.asked


# --- no prompt holds a document its asker may not see: every builder, every question, every role ---


def test_retrieved_prompts_never_hold_a_hidden_document(words, words_index, handbook, questions, detectors):
    texts = [q["question"] for q in questions]
    for role in access.ROLES:
        for prompt_fn in (rag_prompt, extractive_rag_prompt):
            for prompt, source_ids in rag.prompts_for_user(texts, role, words_index, words, handbook, prompt_fn, k=5):
                assert not access.hidden_ids(source_ids, handbook, role)
                assert detectors[role].leaked_ids(prompt) == []


def test_rag_contexts_never_hold_a_hidden_document(words, words_index, handbook, questions, detectors):
    retriever = rag.Retriever(words, words_index, handbook)
    for role in access.ROLES:
        for q in questions:
            context = retriever.context(q["question"], role)
            assert not access.hidden_ids(context.source_ids, handbook, role)
            assert detectors[role].leaked_ids("\n".join(context.passages)) == [], (q["qid"], role)


def test_lost_in_the_middle_distractors_come_only_from_documents_the_asker_may_see(words, words_index, handbook, questions, detectors):
    by_id = {d["doc_id"]: d for d in handbook}
    checked = 0
    for q in (q for q in questions if q["type"] == "single"):
        for role in access.ROLES:
            if not access.is_visible_to(by_id[q["gold_doc_ids"][0]], role):
                with pytest.raises(AccessError, match="may not see"):
                    rag.gold_and_distractors(words, words_index, handbook, q, role)
                continue
            try:
                gold, distractors = rag.gold_and_distractors(words, words_index, handbook, q, role, n_distractors=4)
            except ValueError as error:  # no single sentence holds this answer: the experiment skips such questions
                assert "No single sentence" in str(error)
                continue
            assert detectors[role].leaked_ids("\n".join([gold, *distractors])) == [], (q["qid"], role)
            checked += 1
    assert checked > 300  # most of the ~270 single questions, for one to three roles each


def few_shot_variants():
    """Every few-shot variant the course builds, with several shot draws."""
    return [pe.PromptVariant(f"raw text, {k}-shot, seed {seed}", chat=chat, k=k, shot_seed=seed)
            for k in (1, 3, 5) for seed in range(5) for chat in (False, True)]


def test_the_handbook_shot_pool_holds_only_documents_every_role_may_see(handbook):
    public = set(access.visible_ids(handbook, access.PUBLIC))
    pool = pe.handbook_answer_task(n=12).shot_pool
    assert pool and all(example.source_ids and set(example.source_ids) <= public for example in pool)


def test_few_shot_prompts_never_hold_a_hidden_document(questions, detectors):
    task = pe.handbook_answer_task(n=12)
    asked = [pe.Example(q["qid"], q["question"], "") for q in questions]
    for variant in few_shot_variants() + pe.handbook_variants():
        shots = pe.pick_shots(task, variant)
        for example in asked:
            prompt = pe.build_prompt(task, variant, example, shots)
            for role in access.ROLES:
                assert detectors[role].leaked_ids(prompt) == [], (variant.name, example.example_id, role)


def test_the_old_unfiltered_shot_pool_did_leak(handbook, detectors):
    # the control for the test above: the check finds the leak the issue reported
    leaky = dataclasses.replace(pe.handbook_answer_task(n=12), shot_pool=pe.handbook_shot_pool(handbook))
    prompts = [pe.build_prompt(leaky, v, leaky.examples[0], pe.pick_shots(leaky, v)) for v in few_shot_variants()]
    assert sum(bool(detectors["all"].leaked_ids(p)) for p in prompts) > 0
    with pytest.raises(AccessError, match="not every role may see"):
        for variant in few_shot_variants():
            assistant.variant_prompt_fn(leaky, variant, tokenizer=None)


def test_routing_and_extraction_shots_show_no_document_text(detectors):
    for task in (pe.routing_task(), pe.extraction_task()):
        for variant in few_shot_variants()[:10]:
            prompt = pe.build_prompt(task, variant, task.examples[0], pe.pick_shots(task, variant))
            assert detectors["all"].leaked_ids(prompt) == [], (task.name, variant.name)


def test_notebook_07_prompts_never_hold_a_hidden_document(questions, detectors):
    task = pe.handbook_answer_task(n=12)
    for variant in pe.handbook_variants():
        build = assistant.variant_prompt_fn(task, variant, tokenizer=None)  # no chat template: a plain transcript
        for q in questions:
            assert detectors["all"].leaked_ids(build(q["question"], [])) == []  # "all" sees least: safe for everyone


def test_the_agent_never_shows_a_hidden_document_on_any_route(words, words_tools, handbook, questions, detectors):
    router = assistant.DescriptionRouter(words, assistant.TOOL_DESCRIPTIONS)
    agent, prompts = capturing_agent(words_tools, router)
    for role in access.ROLES:
        for q in questions:
            for route in ("HR", "IT", None):
                before = len(prompts)
                answer = agent.ask(q["question"], role, route=route)
                assert not access.hidden_ids(answer.source_ids, handbook, role), (q["qid"], role, route)
                assert all(detectors[role].leaked_ids(p) == [] for p in prompts[before:]), (q["qid"], role, route)
    assert len(prompts) > len(questions) * len(access.ROLES)  # the tools did answer: the check saw real prompts


def test_a_document_added_at_run_time_follows_the_same_rule(words, words_index, handbook):
    secret = dict(assistant.FRESH_DOCUMENT, doc_id="hr-retention-bonus-2027", visibility="hr",
                  text="CONFIDENTIAL. The 2027 retention bonus for the Lyon data team is 14 percent of base salary, paid in March.")
    retriever = rag.Retriever(words, retrieval.with_document(words_index, words, secret), [*handbook, secret])
    question = "What is the 2027 retention bonus for the Lyon data team?"
    assert retriever.context(question, "hr").source_ids == [secret["doc_id"]]  # the control: it is retrievable
    for role in ("all", "it"):
        context = retriever.context(question, role)
        assert secret["doc_id"] not in context.source_ids and access.leaked_ids("\n".join(context.passages), [*handbook, secret], role) == []
    with pytest.raises(AccessError, match="visibility"):
        rag.Retriever(words, retrieval.with_document(words_index, words, dict(secret, visibility="HR")), [*handbook, dict(secret, visibility="HR")])


# --- the leak check itself ---


DOCUMENTS = [
    {"doc_id": "pub-1", "visibility": "all", "text": "Printers are on every floor. Staff get thirty days of leave."},
    {"doc_id": "hr-1", "visibility": "hr", "text": "CONFIDENTIAL. The Sales bonus target is thirty percent. Staff get thirty days of leave."},
]


def test_the_leak_check_finds_a_hidden_document_by_its_id_or_its_own_sentences():
    assert access.leaked_ids("Sources: [1] The Sales bonus target is thirty percent.", DOCUMENTS, "all") == ["hr-1"]
    assert access.leaked_ids([{"role": "user", "content": "see hr-1"}], DOCUMENTS, "it") == ["hr-1"]
    assert access.leaked_ids("The Sales bonus target   is thirty\npercent.", DOCUMENTS, "all") == ["hr-1"]  # white space differs
    assert access.leaked_ids("The Sales bonus target is thirty percent.", DOCUMENTS, "hr") == []  # HR may see it


def test_the_leak_check_ignores_text_a_visible_document_also_has():
    assert access.leaked_ids("Staff get thirty days of leave.", DOCUMENTS, "all") == []  # also in pub-1
    assert access.leaked_ids("CONFIDENTIAL.", DOCUMENTS, "all") == []  # too short to identify a document
    assert access.count_leaks(["Printers are on every floor.", "The Sales bonus target is thirty percent.", "hr-1"], DOCUMENTS, "it") == 2

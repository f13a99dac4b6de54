"""Unit tests for course_utils.assistant (notebook 07) and its exercise checkers: fast, no language model loaded."""

import json
from pathlib import Path

import numpy as np
import pytest

from course_utils import answering, assistant, costs, data, evaluation, rag, recipes, results, retrieval
from course_utils import exercises as ex
from course_utils import prompt_eval as pe
from course_utils.models import count_parameters
from course_utils.paths import repo_root


@pytest.fixture(scope="module")
def tools(embedder, handbook_index, handbook):
    return assistant.build_tools(embedder, handbook_index, handbook)


# --- the question set and the new document ---


def test_evaluation_questions_are_every_held_out_single_question_not_used_to_choose_a_prompt():
    questions = assistant.evaluation_questions()
    chosen_on = {e.example_id for e in pe.handbook_answer_task(n=pe.SELECTION_QUESTIONS, split="validation").examples}
    singles = [q for q in data.load_handbook_questions() if q["type"] == "single" and q["split"] in ("test", "validation")]
    assert len(questions) == len(singles) - len(chosen_on) >= 100
    assert not chosen_on & {q["qid"] for q in questions}
    assert {q["split"] for q in questions} == {"test", "validation"} and {q["type"] for q in questions} == {"single"}


def test_an_answer_whose_prompt_did_not_fit_is_not_traceable():
    questions = [{"answer": "x", "gold_doc_ids": ["d"]}, {"answer": "y", "gold_doc_ids": ["e"]}]
    run = assistant.ApproachRun("x", questions, ["x", ""], [["d"], ["e"]], [1.0, 0.0], [10, 999], too_long=1, ran=[True, False])
    assert run.traceable_items == [1.0, 0.0] and run.traceable == 0.5


def test_held_out_questions_are_balanced_single_test_questions_extending_notebook_06s_draw():
    questions = assistant.held_out_questions(n=24)
    assert len(questions) == 24 and len({q["qid"] for q in questions}) == 24
    assert all(q["split"] == "test" and q["type"] == "single" for q in questions)
    assert len({q["category"] for q in questions}) == 4  # hr, it, responsible_ai, general
    assert [q["qid"] for q in questions[:12]] == [e.example_id for e in pe.handbook_answer_task(n=12).examples]
    assert assistant.held_out_questions(n=24) == questions  # seeded: the same every run


def test_only_the_new_document_answers_the_fresh_questions(handbook):
    fresh = assistant.FRESH_DOCUMENT
    assert fresh["synthetic"] and fresh["doc_id"] not in {d["doc_id"] for d in handbook}
    for question in assistant.FRESH_QUESTIONS:
        assert evaluation.answer_matches(fresh["text"], question["answer"]) == 1.0
        assert evaluation.answer_matches(question["question"], question["answer"]) == 0.0  # the question does not give it away
        assert not any(evaluation.answer_matches(d["text"], question["answer"]) for d in handbook)


# --- indexes ---


def test_with_document_adds_to_a_copy_and_finds_the_new_document(embedder, handbook_index):
    size = len(handbook_index)
    fresh_index = retrieval.with_document(handbook_index, embedder, assistant.FRESH_DOCUMENT)
    assert len(handbook_index) == size and handbook_index.index.ntotal == size  # the original is untouched
    assert fresh_index.doc_ids == handbook_index.doc_ids + [assistant.FRESH_DOCUMENT["doc_id"]]
    assert np.allclose(retrieval.vectors_of(fresh_index)[:size], retrieval.vectors_of(handbook_index))
    for question in assistant.FRESH_QUESTIONS:
        assert retrieval.search(fresh_index, embedder, question["question"], k=1, allowed_ids=retrieval.UNFILTERED)[0][0] == assistant.FRESH_DOCUMENT["doc_id"]
    with pytest.raises(ValueError, match="already in the index"):
        retrieval.with_document(fresh_index, embedder, assistant.FRESH_DOCUMENT)


def test_with_document_refuses_another_embedder(embedder, handbook_index):
    class Renamed:
        course_name = "another-model"

    with pytest.raises(ValueError, match="embed the new document with that model"):
        retrieval.with_document(handbook_index, Renamed(), assistant.FRESH_DOCUMENT)


def test_subset_index_keeps_the_stored_vectors_of_the_chosen_documents(handbook_index):
    ids = handbook_index.doc_ids[5:9]
    subset = retrieval.subset_index(handbook_index, ids)
    assert subset.doc_ids == ids and subset.embedder_name == handbook_index.embedder_name
    assert np.allclose(retrieval.vectors_of(subset), retrieval.vectors_of(handbook_index)[5:9])
    with pytest.raises(KeyError):
        retrieval.subset_index(handbook_index, ["no-such-document"])


def test_refreshed_updates_each_retriever_once_and_leaves_closed_book_approaches_alone(embedder, handbook_index, handbook):
    retriever = rag.Retriever(embedder, handbook_index, handbook)
    approaches = [assistant.Approach("closed", None, None, lambda q, p: q), assistant.Approach("rag 1", None, None, lambda q, p: q, retriever),
                  assistant.Approach("rag 2", None, None, lambda q, p: q, retriever)]
    fresh = assistant.refreshed(approaches, assistant.FRESH_DOCUMENT)
    assert fresh[0] is approaches[0] and fresh[1].retriever is fresh[2].retriever
    assert assistant.FRESH_DOCUMENT["doc_id"] in fresh[1].retriever.index.doc_ids
    assert assistant.FRESH_DOCUMENT["doc_id"] not in retriever.index.doc_ids


# --- retrieval and prompts ---


def test_retriever_context_is_the_best_sentences_of_the_top_visible_document(embedder, handbook_index, handbook):
    retriever = rag.Retriever(embedder, handbook_index, handbook)
    question = "How many paid vacation days does a full-time employee in Germany get each year?"
    context = retriever.context(question, "all")
    assert context.source_ids == ["hr-vacation-de"] and len(context.passages) == 2
    assert all(p.startswith(retriever.document("hr-vacation-de")["title"]) for p in context.passages)
    assert context.seconds > 0
    with pytest.raises(KeyError, match="not given"):
        rag.Retriever(embedder, handbook_index, handbook[:10])


def test_variant_prompts_show_sources_only_when_there_are_passages(chat_tokenizer_free_task):
    task, tokenizer = chat_tokenizer_free_task
    build = assistant.variant_prompt_fn(task, pe.PromptVariant("raw text, zero-shot", chat=False), tokenizer)
    closed, with_sources = build("How long is the notice period?", []), build("How long is the notice period?", ["Notice: three months."])
    assert "Sources:" not in closed and "[1] Notice: three months." in with_sources
    assert closed.rstrip().endswith("Answer:") and "How long is the notice period?" in closed
    with pytest.raises(ValueError, match="evaluate_variant"):
        assistant.variant_prompt_fn(task, pe.PromptVariant("primed", reply_prefix="The answer is"), tokenizer)


@pytest.fixture(scope="module")
def chat_tokenizer_free_task():
    # raw-text variants never call the tokenizer's chat template, so no tokenizer is needed
    return pe.handbook_answer_task(n=4), None


# --- answering, scoring and the table ---


class FakeTokenizer:
    """Splits on spaces; every word gets an id; a reply of fixed words comes from FakeModel."""

    pad_token_id, eos_token_id, chat_template = 0, 1, None

    def __init__(self):
        self.vocab = {"<pad>": 0, "<eos>": 1}

    def ids(self, text):
        return [self.vocab.setdefault(word, len(self.vocab)) for word in text.split()]

    def __call__(self, text, return_tensors=None):
        import torch

        return {"input_ids": torch.tensor([self.ids(text)])}

    def decode(self, ids, skip_special_tokens=True):
        words = {i: w for w, i in self.vocab.items()}
        return " ".join(words[i] for i in ids if not (skip_special_tokens and i in (0, 1)))


class FakeModel:
    """A 'model' with a 12-token window that always replies '30 working days'."""

    device = "cpu"

    def __init__(self, tokenizer):
        from types import SimpleNamespace

        self.config, self.reply = SimpleNamespace(n_positions=12), tokenizer.ids("30 working days") + [1]

    def generate(self, input_ids, attention_mask, max_new_tokens, **kwargs):
        import torch

        return torch.cat([input_ids, torch.tensor([self.reply[:max_new_tokens]] * len(input_ids))], dim=1)


def test_answer_questions_scores_every_answer_and_skips_prompts_that_do_not_fit():
    tokenizer = FakeTokenizer()
    approach = assistant.Approach("fake", FakeModel(tokenizer), tokenizer, lambda question, passages: question)
    questions = [
        {"question": "vacation days?", "answer": "30 working days", "gold_doc_ids": ["a"], "asker_visibility": "all"},
        {"question": "a question far too long to fit in a window of twelve tokens at all", "answer": "30 working days", "gold_doc_ids": ["a"], "asker_visibility": "all"},
        {"question": "notice period?", "answer": "three months", "gold_doc_ids": ["b"], "asker_visibility": "all"},
    ]
    run = assistant.answer_questions(approach, questions, max_new_tokens=4)
    assert run.replies == ["30 working days", "", "30 working days"]
    assert run.too_long == 1 and run.scores == [1.0, 0.0, 0.0] and run.accuracy == pytest.approx(1 / 3)
    assert run.traceable == 0.0 and run.short_answers == pytest.approx(2 / 3)
    assert run.prompt_tokens == [2, 15, 2]
    with pytest.raises(ValueError):
        assistant.answer_questions(approach, [])


def test_approach_row_adds_up_costs_and_shots():
    run = assistant.ApproachRun("x", [{"answer": "EUR 75", "gold_doc_ids": ["d"]}], ["EUR 75"], [["d"]], [1.5], [100])
    fresh = assistant.ApproachRun("x", [{"answer": "IT-47", "gold_doc_ids": ["n"]}], ["no idea"], [["n"]], [1.0], [90])
    paid = [costs.Cost("a", 10.0, 1e12, 24), costs.Cost("b", 5.0, 2e11, 600)]
    row = assistant.approach_row(assistant.Approach("x", None, None, lambda q, p: q, costs=paid, shots=1), run, fresh)
    assert row["accuracy"] == 1.0 and row["new-document accuracy"] == 0.0 and row["traceable answers"] == 1.0
    assert row["compute seconds"] == 15.0 and row["compute FLOPs"] == pytest.approx(1.2e12) and row["labelled examples"] == 625
    assert set(row) == set(assistant.COLUMNS)


# --- costs ---


def test_costs_come_from_recorded_runs_with_clear_errors_when_missing(tmp_cache):
    from course_utils.results import NotebookResults

    with pytest.raises(FileNotFoundError, match="05_embedding_finetuning"):
        results.recorded_value("05_embedding_finetuning", "training_seconds")
    NotebookResults("05_embedding_finetuning").report("training_pairs", 600)
    with pytest.raises(KeyError, match="run that notebook again"):
        results.recorded_value("05_embedding_finetuning", "training_seconds")
    folder = tmp_cache / "checkpoints" / "02_cpt"
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"seconds": 30.0, "tokens_seen": 1000}))
    cost = costs.checkpoint_cost("02_cpt", "CPT", n_parameters=2000)
    assert cost.seconds == 30.0 and cost.flops == 6 * 2000 * 1000 and cost.labelled_examples == 0


def test_missing_recorded_inputs_are_reported_together_before_any_rebuild(tmp_cache):
    from course_utils.results import NotebookResults

    with pytest.raises(FileNotFoundError) as error:
        assistant.check_recorded_inputs()
    assert all(f"notebooks/{notebook}.ipynb" in str(error.value) for notebook in assistant.RECORDED_INPUTS)
    for notebook, keys in assistant.RECORDED_INPUTS.items():
        recorded = NotebookResults(notebook)
        for key in keys:
            recorded.report(key, 1.0)
    assistant.check_recorded_inputs()  # everything present: no error
    recorded = assistant.RECORDED_INPUTS | {"06_prompt_engineering": ("a_key_notebook_06_never_wrote",)}
    with pytest.raises(FileNotFoundError, match="06_prompt_engineering") as error:
        assistant.check_recorded_inputs(recorded)
    assert "05_embedding" not in str(error.value)


def test_embedder_cost_reads_notebook_05_and_bounds_the_flops(tmp_cache, embedder):
    from course_utils.embedder_finetuning import EMBEDDER_RECIPE as recipe
    from course_utils.results import NotebookResults

    recorded = NotebookResults("05_embedding_finetuning")
    recorded.report("training_seconds", 40.0)
    recorded.report("training_pairs", 600)
    cost = costs.embedder_cost(embedder)
    assert cost.seconds == 40.0 and cost.labelled_examples == 600
    assert cost.flops == 6 * count_parameters(embedder) * 600 * (2 + recipe.num_negatives) * recipe.train_max_seq_length


def test_indexing_cost_counts_every_token_and_scales_a_sample(embedder, handbook):
    texts = data.texts_of(handbook)[:12]
    full, sampled = costs.indexing_cost(embedder, texts), costs.indexing_cost(embedder, texts, sample_every=4)
    assert full.flops == sampled.flops > 0 and full.seconds > 0 and sampled.seconds > 0
    assert "scaled" in sampled.source and full.labelled_examples == 0
    with pytest.raises(ValueError):
        costs.indexing_cost(embedder, texts, sample_every=0)
    assert costs.inference_flops(10, 3) == 60.0
    with pytest.raises(ValueError):
        costs.inference_flops(0, 3)


# --- the guide ---

TABLE = {
    "prompt only": {"accuracy": 0.0, "new-document accuracy": 0.0, "traceable answers": 0.0, "short answers": 0.2, "seconds per answer": 0.8, "compute FLOPs": 0.0, "labelled examples": 0},
    "RAG": {"accuracy": 0.25, "new-document accuracy": 0.33, "traceable answers": 0.9, "short answers": 0.3, "seconds per answer": 1.6, "compute FLOPs": 5e11, "labelled examples": 0},
    "LoRA + RAG": {"accuracy": 0.25, "new-document accuracy": 0.67, "traceable answers": 0.9, "short answers": 1.0, "seconds per answer": 1.5, "compute FLOPs": 5e12, "labelled examples": 24},
    "IFT": {"accuracy": 0.0, "new-document accuracy": 0.0, "traceable answers": 0.0, "short answers": 0.9, "seconds per answer": 0.01, "compute FLOPs": 7e12, "labelled examples": 960},
}


def test_the_guide_picks_the_best_measured_approach_per_need():
    guide = {row["key"]: row for row in assistant.when_to_use(TABLE)}
    assert set(guide) == {need.key for need in assistant.NEEDS}
    assert guide["accuracy"]["use"] == "RAG"  # tied with LoRA + RAG on accuracy: the one that needed less compute wins
    assert guide["traceable"]["use"] == "RAG"  # the same tie, the same rule
    assert guide["fresh"]["use"] == "LoRA + RAG" and guide["fresh"]["next best"].startswith("RAG")
    assert guide["latency"]["use"] == "LoRA + RAG"  # IFT and prompt only are faster but answer nothing
    assert guide["compute"]["use"] == "RAG" and guide["labels"]["use"] == "RAG"
    assert guide["style"]["use"] == "LoRA + RAG"
    assert "0.67" in guide["fresh"]["measured"]


def test_the_guide_says_so_when_no_approach_qualifies():
    silent = {name: dict(row, accuracy=0.0) for name, row in TABLE.items()}
    guide = {row["key"]: row for row in assistant.when_to_use(silent)}
    assert guide["latency"]["use"] == "none of the measured approaches" and guide["latency"]["measured"] == ""
    with pytest.raises(ValueError):
        assistant.when_to_use({})


# --- routing ---


def test_knn_vote_takes_the_majority_and_breaks_ties_by_the_nearest_example():
    assert assistant.knn_vote([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], k=3) == "IT"
    assert assistant.knn_vote([0.9, 0.8, 0.1, 0.7], ["HR", "IT", "IT", "IT"], k=1) == "HR"
    assert assistant.knn_vote([0.6, 0.8, 0.9, 0.7], ["IT", "HR", "HR", "IT"], k=4) == "HR"
    assert assistant.knn_vote([0.3, 0.2], ["other", "IT"], k=5) == "other"
    with pytest.raises(ValueError):
        assistant.knn_vote([0.1], ["HR", "IT"], k=1)
    with pytest.raises(ValueError):
        assistant.knn_vote([0.1], ["HR"], k=0)


def test_routers_send_obvious_questions_to_the_right_tool(embedder):
    train = [q for q in data.load_handbook_questions("train") if q["type"] == "single"]
    routers = [assistant.DescriptionRouter(embedder, assistant.TOOL_DESCRIPTIONS),
               assistant.ExampleRouter(embedder, [q["question"] for q in train], [assistant.route_of(q) for q in train])]
    for router in routers:
        assert router.route_many(["How many vacation days do I get?", "My VPN connection keeps dropping."]) == ["HR", "IT"]
    assert routers[0].labelled_examples == 0 and routers[1].labelled_examples == len(train)


def test_routing_accuracy_compares_routes_with_the_gold_category():
    class AlwaysHR:
        def route_many(self, questions):
            return ["HR"] * len(questions)

    questions = [{"question": "a", "category": "hr"}, {"question": "b", "category": "it"}, {"question": "c", "category": "responsible_ai"}]
    accuracy, milliseconds = assistant.routing_accuracy(AlwaysHR(), questions)
    assert accuracy == pytest.approx(1 / 3) and milliseconds >= 0
    assert assistant.routing_hits(AlwaysHR(), questions) == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="at least one question"):
        assistant.routing_hits(AlwaysHR(), [])
    assert [assistant.route_of(q) for q in questions] == ["HR", "IT", "other"]
    routing = assistant.routing_questions(30, "validation")
    assert len(routing) == 30 and {assistant.route_of(q) for q in routing} == {"HR", "IT", "other"}


# --- the agent and access control ---


def test_each_tool_holds_only_its_categorys_documents(tools, handbook):
    for name, category in assistant.TOOL_CATEGORIES.items():
        documents = tools[name].retriever.documents
        assert {d["category"] for d in documents} == {category}
        assert tools[name].retriever.index.doc_ids == [d["doc_id"] for d in documents]
        assert len(documents) == sum(d["category"] == category for d in handbook)


def echo_agent(tools):
    class Never:
        def route_many(self, questions):
            raise AssertionError("a forced route must not ask the router")

    # the "model" repeats its whole prompt, so anything the prompt held shows up in the reply
    return assistant.Agent(Never(), tools, answer_fn=lambda prompt: prompt[-1]["content"], prompt_fn=answering.answer_prompt)


def test_hr_document_never_reaches_an_it_user_even_through_the_hr_tool(tools, handbook):
    agent = echo_agent(tools)
    hr_only_sentences = [s for d in handbook if d["visibility"] == "hr" for s in rag.split_sentences(d["text"]) if len(s) > 40]
    # every question whose answer is in an HR-only document (the best match is forbidden), asked by an IT user,
    # with the router (wrongly) sending it to the HR tool
    for question in [q for q in data.load_handbook_questions() if q["asker_visibility"] == "hr"]:
        answer = agent.ask(question["question"], "it", route="HR")
        assert answer.source_ids and not assistant.hidden_ids(answer.source_ids, handbook, "it")
        assert not any(sentence in answer.reply for sentence in hr_only_sentences)  # the prompt held no HR-only text


def test_an_hr_user_does_reach_hr_only_documents_through_the_hr_tool(tools, handbook):
    hr_only = {d["doc_id"] for d in handbook if d["visibility"] == "hr"}
    reached = [tools["HR"].retriever.search(q["question"], "hr", k=3) for q in data.load_handbook_questions("test")]
    assert any({doc_id for doc_id, _ in hits} & hr_only for hits in reached)  # the filter follows the role, it does not block HR


def test_agent_answers_cite_their_source_and_other_questions_get_no_tool(tools):
    agent = echo_agent(tools)
    answer = agent.ask("How many paid vacation days does a full-time employee in Germany get each year?", "all", route="HR")
    assert answer.route == "HR" and answer.source_ids == ["hr-vacation-de"] and answer.seconds > 0
    assert answer.text == f"{answer.reply} [1]\nSources: [1] Vacation policy (Germany) (hr-vacation-de)"
    declined = agent.ask("What are the principles of responsible AI?", "all", route="other")
    assert declined.reply == assistant.NO_TOOL_REPLY and declined.source_ids == [] and declined.text == assistant.NO_TOOL_REPLY


def test_hidden_ids_lists_what_a_role_may_not_see(handbook):
    hr_doc = next(d["doc_id"] for d in handbook if d["visibility"] == "hr")
    public = next(d["doc_id"] for d in handbook if d["visibility"] == "all")
    assert assistant.hidden_ids([public, hr_doc], handbook, "it") == [hr_doc]
    assert assistant.hidden_ids([public, hr_doc], handbook, "hr") == []


# --- exercise checkers (notebook 07) ---


def test_pick_best_checker_accepts_a_solution_and_rejects_a_wrong_tie_rule():
    def solution(table, column, higher_is_better=True):
        sign = 1 if higher_is_better else -1
        return max(table, key=lambda name: sign * table[name][column])

    def last_on_ties(table, column, higher_is_better=True):
        sign = 1 if higher_is_better else -1
        return max(reversed(list(table)), key=lambda name: sign * table[name][column])

    def placeholder(table, column, higher_is_better=True):
        raise NotImplementedError

    assert ex.check_pick_best(solution)
    assert not ex.check_pick_best(last_on_ties)
    assert not ex.check_pick_best(placeholder)


def test_knn_route_checker_accepts_a_solution_and_rejects_wrong_votes():
    from collections import Counter

    def nearest_only(similarities, labels, k):
        return labels[int(np.argmax(similarities))]

    def ties_alphabetical(similarities, labels, k):
        nearest = sorted(range(len(labels)), key=lambda i: -similarities[i])[:k]
        votes = Counter(labels[i] for i in nearest)
        return min(votes, key=lambda label: (-votes[label], label))

    def knn_by_hand(similarities, labels, k):  # written here, not assistant.knn_vote: the checker compares against that
        nearest = sorted(range(len(labels)), key=lambda i: -similarities[i])[:k]
        votes = Counter(labels[i] for i in nearest)
        return next(labels[i] for i in nearest if votes[labels[i]] == max(votes.values()))

    assert ex.check_knn_route(knn_by_hand)
    assert not ex.check_knn_route(nearest_only)
    assert not ex.check_knn_route(ties_alphabetical)  # the 2-2 tie between IT and HR must go to HR, the nearer one


def test_add_document_checker_accepts_a_solution_and_rejects_one_that_mutates_the_index(embedder, handbook_index):
    def solution(vector_index, embedder, doc_id, text):
        return retrieval.with_document(vector_index, embedder, dict(assistant.FRESH_DOCUMENT, doc_id=doc_id, text=text))

    def mutates(vector_index, embedder, doc_id, text):
        vector_index.index.add(retrieval.embed_texts(embedder, [text]))
        vector_index.doc_ids.append(doc_id)
        return vector_index

    assert ex.check_add_document(solution, handbook_index, embedder)
    copy = retrieval.index_from_vectors(list(handbook_index.doc_ids), retrieval.vectors_of(handbook_index), handbook_index.embedder_name)
    assert not ex.check_add_document(mutates, copy, embedder)

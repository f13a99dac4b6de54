"""Unit tests for course_utils.answering: the answer-from-sources prompt contract, its scorer and its training examples."""

import pytest

from course_utils import answering, data
from course_utils.finetuning import IGNORE_INDEX

GERMANY = {"doc_id": "hr-vacation-de", "title": "Vacation policy (Germany)",
           "text": "This policy covers Germany. Full-time employees receive thirty working days of paid vacation. Ask HR."}


# --- the prompt contract and the scorer ---


def test_the_prompt_names_the_abstention_reply_and_puts_the_question_last():
    system, user = answering.answer_prompt("How many days?", ["A: one.", "B: two."])
    assert answering.NOT_IN_SOURCES in system["content"]
    assert user["content"] == "Sources:\n[1] A: one.\n\n[2] B: two.\n\nQuestion: How many days?"


@pytest.mark.parametrize("passages", [[], "one passage as a string"])
def test_the_prompt_needs_a_list_of_passages(passages):
    with pytest.raises(ValueError, match="list of one or more passages"):
        answering.answer_prompt("How many days?", passages)


@pytest.mark.parametrize("reply, expected", [
    ("Not in the sources.", True), ("not in the sources", True), ("The answer is: Not in the sources!", True),
    ("30 working days", False), ("The sources say 30 days.", False), ("", False),
])
def test_an_abstention_is_the_fixed_reply_in_any_case_or_punctuation(reply, expected):
    assert answering.is_abstention(reply) is expected


def test_a_reply_scores_one_when_it_holds_the_answer_or_abstains_where_none_exists():
    assert answering.reply_score("Thirty working days.", "30 working days") == 1.0  # number words count as digits
    assert answering.reply_score("25 working days", "30 working days") == 0.0
    assert answering.reply_score("Not in the sources.", answering.NOT_IN_SOURCES) == 1.0
    assert answering.reply_score("30 working days", answering.NOT_IN_SOURCES) == 0.0


def test_an_abstention_never_counts_as_an_answer_even_if_it_quotes_one():
    # "Not in the sources. 30 working days" hedges both ways: it is scored as the abstention it starts with
    assert answering.reply_score("Not in the sources. 30 working days", "30 working days") == 0.0


# --- passages ---


def test_the_answer_passage_is_the_titled_sentence_that_holds_the_answer():
    assert answering.answer_passage(GERMANY, "30 working days") == "Vacation policy (Germany): Full-time employees receive thirty working days of paid vacation."
    assert answering.answer_passage(GERMANY, "31 March") is None


def test_every_held_out_sentence_given_pair_shows_a_sentence_that_holds_its_answer():
    pairs = answering.sentence_given_set()
    assert len(pairs) >= 100
    assert {q["split"] for q, _ in pairs} == {"validation", "test"}
    assert all(answering.reply_score(passage, q["answer"]) == 1.0 for q, passage in pairs)


# --- the reply budget and tokenization ---


class WordTokenizer:
    """A stand-in tokenizer: one token per word, a fixed 5-token chat prompt, end-of-turn id 0."""

    eos_token_id = 0

    def __call__(self, text):
        return {"input_ids": [len(word) for word in text.split()]}

    def apply_chat_template(self, messages, add_generation_prompt, tokenize, return_dict):
        return {"input_ids": [9, 9, 9, 9, 9]}


def test_the_reply_budget_covers_the_longest_reference_and_the_abstention():
    tokenizer = WordTokenizer()
    assert answering.reply_token_budget(tokenizer, ["one", "one two three four five six"]) == 6 + 3
    assert answering.reply_token_budget(tokenizer, ["one"]) == len(answering.NOT_IN_SOURCES.split()) + 3


def test_only_the_reply_and_its_end_token_are_scored():
    example = {"id": "x", "question": "Q?", "passages": ["P."], "answer": "two words"}
    tokenized = answering.tokenize_reader_example(WordTokenizer(), example, max_length=16)
    assert tokenized["input_ids"] == [9, 9, 9, 9, 9, 3, 5, 0]
    assert tokenized["labels"] == [IGNORE_INDEX] * 5 + [3, 5, 0]


def test_an_example_longer_than_the_recipe_allows_is_an_error_not_a_silent_cut():
    example = {"id": "x", "question": "Q?", "passages": ["P."], "answer": "two words"}
    with pytest.raises(ValueError, match="raise it in the recipe"):
        answering.tokenize_reader_example(WordTokenizer(), example, max_length=7)


# --- what the adapter may learn from ---


def test_training_questions_come_from_training_splits_only():
    held_out = {q["qid"] for q in data.load_handbook_questions() if q["split"] != "train"}
    held_out |= {q["qa_id"] for q in data.load_domain_qa() if q["split"] != "train"}
    held_out |= {q["dq_id"] for q in data.load_doc_questions() if q["split"] != "train"}
    questions = answering.training_questions()
    assert {q.source for q in questions} == {"handbook", "faq", "docs"}
    assert not {q.qid for q in questions} & held_out


def test_the_adapter_never_trains_on_a_document_some_role_may_not_see():
    # weights cannot be filtered per user: confidential text in the training data could reach anyone
    visibility = {d["doc_id"]: d["visibility"] for d in data.load_handbook(data.UNFILTERED)}
    handbook_golds = {q.gold_doc_id for q in answering.training_questions() if q.source == "handbook"}
    assert {visibility[doc_id] for doc_id in handbook_golds} == {"all"}


def test_the_prepared_examples_show_only_public_handbook_text():
    # the distractors and the abstention examples too: every handbook passage comes from a public document
    titles = {d["title"]: d["visibility"] for d in data.load_handbook(data.UNFILTERED)}
    examples = answering.prepared_examples()
    passages = [p for e in examples if e["source"] == "handbook" for p in e["passages"]]
    shown = [next(title for title in titles if p.startswith(f"{title}: ")) for p in passages]
    assert passages and {titles[title] for title in shown} == {"all"}
    assert {e["answer"] for e in examples if e["id"].endswith("-none")} == {answering.NOT_IN_SOURCES}


def test_long_faq_answers_are_left_out_as_not_the_short_span_task():
    recipe = answering.ANSWER_ADAPTER
    faq = [q for q in answering.training_questions(recipe) if q.source == "faq"]
    assert faq and all(len(q.answer.split()) <= recipe.max_answer_words for q in faq)


def test_the_prepared_adapter_was_trained_with_the_recipe_in_the_code():
    # a cached adapter from an older recipe would make every notebook's "same recipe" statement false
    from dataclasses import asdict

    recorded = answering.adapter_metadata()["recipe"]
    assert {key: tuple(v) if isinstance(v, list) else v for key, v in recorded.items()} == asdict(answering.ANSWER_ADAPTER)
    assert answering._recorded_recipe(answering.answer_adapter_path()) == asdict(answering.ANSWER_ADAPTER)
    assert answering.adapter_metadata()["examples"] == len(answering.prepared_examples())


def test_an_adapter_cached_by_another_recipe_is_retrained(tmp_cache, monkeypatch):
    from dataclasses import asdict, replace

    folder = answering.answer_adapter_path()
    folder.mkdir(parents=True)
    old = replace(answering.ANSWER_ADAPTER, num_steps=1)
    (folder / "metadata.json").write_text(__import__("json").dumps({"recipe": asdict(old)}))
    trained = []

    def fake_training(path, recipe):
        trained.append(recipe)
        path.mkdir(parents=True, exist_ok=True)
        (path / "metadata.json").write_text("{}")

    monkeypatch.setattr(answering, "_train_and_save", fake_training)
    assert answering.ensure_answer_adapter() == folder
    assert trained == [answering.ANSWER_ADAPTER]
    assert answering.ensure_answer_adapter(old) == folder and len(trained) == 2  # and back: the cache follows the recipe asked for

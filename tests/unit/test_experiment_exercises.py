"""Adversary tests of the experiment exercises (the last exercise of notebooks 01-07).

For each checker: a genuine run passes (small real models, or run records built by hand where a real run is too slow
for a unit test), a wrong prediction still passes, and submissions that show no real run with a changed knob (nothing
run, the baseline passed as the variant, a hand-typed dict, the wrong type, another number of items) fail with a hint.
No checker may raise.
"""

import dataclasses
import hashlib
import inspect

import numpy as np
import pytest
import torch

from course_utils import exercises as ex
from course_utils.recipes import IFT, live_recipe
from course_utils.training import TrainingHistory


def outcome(check, *args, capsys):
    """(the checker's bool, what it printed); it must return a bool, never raise."""
    result = check(*args)
    assert isinstance(result, bool)
    return result, capsys.readouterr().out


# --- The report every checker prints -------------------------------------------------------------


def test_the_report_says_a_clear_rise_went_up_and_judges_the_prediction(capsys):
    ex._report_experiment("up", [1.0] * 20, [0.0] * 20, "accuracy", "variant", "baseline")
    out = capsys.readouterr().out
    assert "accuracy went up" in out and "+1.00" in out and "n = 20" in out and "your prediction was right" in out


def test_the_report_calls_a_prediction_against_the_measured_direction_wrong(capsys):
    ex._report_experiment("up", [0.0] * 20, [1.0] * 20, "accuracy", "variant", "baseline")
    out = capsys.readouterr().out
    assert "went down" in out and "your prediction was wrong" in out


def test_the_report_does_not_judge_a_prediction_when_the_interval_includes_zero(capsys):
    ex._report_experiment("down", [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], "accuracy", "variant", "baseline")
    out = capsys.readouterr().out
    assert "did not move measurably" in out and "cannot judge" in out


@pytest.mark.parametrize("prediction,hint", [(None, "write your prediction first"), ("sideways", 'must be "up" or "down"'), (1, 'must be "up" or "down"')])
def test_a_missing_or_unreadable_prediction_fails_with_a_hint(prediction, hint, capsys):
    passed, out = outcome(ex.check_rag_experiment, prediction, None, None, capsys=capsys)
    assert not passed and hint in out


# --- 01 and 02: a tiny GPT, histories written as a run writes them ------------------------------


@pytest.fixture(scope="module")
def tiny_models():
    from course_utils.models import TinyGPTConfig, build_tiny_gpt

    config = TinyGPTConfig(vocab_size=40, context_length=16, n_layer=1, n_head=2, n_embd=16)
    torch.manual_seed(0)
    baseline = build_tiny_gpt(config).eval()
    torch.manual_seed(1)
    variant = build_tiny_gpt(config).eval()
    blocks = torch.randint(0, 40, (6, 16), generator=torch.Generator().manual_seed(2))
    return baseline, variant, blocks


def history_of(model, blocks, steps, eval_name="validation", eval_every=50):
    """The TrainingHistory a run of `steps` steps that ended in `model` records (its last evaluation is the model's loss)."""
    from course_utils.evaluation import mean_loss

    eval_steps = list(range(0, steps + 1, eval_every))
    losses = [6.0] * (len(eval_steps) - 1) + [mean_loss(model, blocks)]
    return TrainingHistory(steps=list(range(10, steps + 1, 10)), train_loss=[5.0] * (steps // 10), eval_steps=eval_steps, eval_loss={eval_name: losses})


def test_a_genuine_short_pretraining_run_passes_and_is_measured(tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    passed, out = outcome(ex.check_pretraining_experiment, "up", history_of(variant, blocks, 100), variant, baseline, blocks, capsys=capsys)
    assert passed and "100 steps" in out and "n = 6" in out and "95% CI" in out


def test_a_pretraining_run_with_a_wrong_prediction_still_passes(tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    for prediction in ("up", "down"):
        passed, _ = outcome(ex.check_pretraining_experiment, prediction, history_of(variant, blocks, 100), variant, baseline, blocks, capsys=capsys)
        assert passed


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "pass the TrainingHistory"),
        ("baseline as variant", "the baseline itself"),
        ("hand-typed dict", "pass the TrainingHistory"),
        ("recipe's own steps", "the recipe's own 600 steps"),
        ("another model's history", "is not this model's loss"),
        ("last evaluation before the end", "not at its last step"),
    ],
)
def test_fake_or_unchanged_pretraining_runs_fail_with_a_hint(submission, hint, tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    history, model = history_of(variant, blocks, 100), variant
    if submission == "nothing run":
        history, model = None, None
    elif submission == "baseline as variant":
        history, model = history_of(baseline, blocks, 100), baseline
    elif submission == "hand-typed dict":
        history = {"steps": [100], "eval_loss": {"validation": [4.2]}}
    elif submission == "recipe's own steps":
        history = history_of(variant, blocks, 600, eval_every=100)
    elif submission == "another model's history":
        history.eval_loss["validation"][-1] += 0.5  # the history of another run, whose model ended elsewhere
    else:
        history = dataclasses.replace(history, steps=[*history.steps, 110], train_loss=[*history.train_loss, 5.0])
    passed, out = outcome(ex.check_pretraining_experiment, "up", history, model, baseline, blocks, capsys=capsys)
    assert not passed and hint in out


def test_a_genuine_replay_run_passes_and_reports_the_general_loss(tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    passed, out = outcome(ex.check_replay_experiment, "down", np.float64(0.1), history_of(variant, blocks, 200, "general"), variant, baseline, blocks, capsys=capsys)
    assert passed and "10% replay" in out and "general (Austen) loss" in out


@pytest.mark.parametrize(
    "fraction,steps,eval_name,use_baseline,hint",
    [
        (None, 200, "general", False, "return a float"),
        (0.0, 200, "general", False, "between 0 and 1"),
        (0.1, 100, "general", False, "change only the replay share"),
        (0.1, 200, "general", True, "the baseline itself"),
        (0.1, 200, "domain", False, "no 'general' evaluation"),
    ],
)
def test_replay_runs_without_a_real_changed_share_fail_with_a_hint(fraction, steps, eval_name, use_baseline, hint, tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    model = baseline if use_baseline else variant
    passed, out = outcome(ex.check_replay_experiment, "down", fraction, history_of(model, blocks, steps, eval_name), model, baseline, blocks, capsys=capsys)
    assert not passed and hint in out


def test_a_replay_checker_given_garbage_blocks_fails_instead_of_raising(tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    passed, out = outcome(ex.check_replay_experiment, "down", 0.1, history_of(variant, blocks, 200, "general"), variant, baseline, "blocks", capsys=capsys)
    assert not passed and "failed with" in out


# --- 03: instruction scores built by hand -----------------------------------------------------


EVAL_SET = [{"task": "quotes", "output": "yes"}, {"task": "quotes", "output": "no"},
            {"task": "source", "output": "novel"}, {"task": "source", "output": "documentation"}]


def instruction_score(answers, item_scores):
    from course_utils.finetuning import InstructionScore

    return InstructionScore(overall=sum(item_scores) / len(item_scores), per_task={}, stops=1.0, answers=list(answers), item_scores=list(item_scores))


LIVE = live_recipe(IFT)  # section 4's live run: the baseline of exercise 5


def ift_history(steps):
    return TrainingHistory(steps=list(range(10, steps + 1, 10)), train_loss=[3.0] * (steps // 10))


BASELINE_SCORE = instruction_score(["yes", "no", "novel", "novel"], [1.0, 1.0, 1.0, 0.0])
VARIANT_SCORE = instruction_score(["yes", "yes", "novel", "novel"], [1.0, 0.0, 1.0, 0.0])


def test_a_genuine_ift_run_with_one_changed_setting_passes(capsys):
    recipe = dataclasses.replace(LIVE, lr=LIVE.lr / 10)
    passed, out = outcome(ex.check_ift_experiment, "down", recipe, ift_history(LIVE.num_steps), VARIANT_SCORE, BASELINE_SCORE, EVAL_SET, capsys=capsys)
    assert passed and f"lr={LIVE.lr / 10}" in out and "n = 4" in out


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "dataclasses.replace(LIVE"),
        ("the recipe unchanged", "your recipe is LIVE itself"),
        ("two settings changed", "change one setting only"),
        ("a hand-typed dict of scores", "(type InstructionScore), got dict"),
        ("scores that are not its answers'", "not the scores of its answers"),
        ("the baseline as the variant", "word for word"),
        ("another number of instructions", "scored on 3 instructions"),
        ("a history of other steps", "the recipe says"),
    ],
)
def test_ift_runs_without_a_real_changed_setting_fail_with_a_hint(submission, hint, capsys):
    recipe, history, score = dataclasses.replace(LIVE, lr=LIVE.lr / 10), ift_history(LIVE.num_steps), VARIANT_SCORE
    if submission == "nothing run":
        recipe = history = score = None
    elif submission == "the recipe unchanged":
        recipe = LIVE
    elif submission == "two settings changed":
        recipe = dataclasses.replace(LIVE, lr=1e-4, num_steps=60)
    elif submission == "a hand-typed dict of scores":
        score = {"overall": 0.1, "item_scores": [0.0, 0.0, 1.0, 0.0]}
    elif submission == "scores that are not its answers'":
        score = instruction_score(VARIANT_SCORE.answers, [1.0, 1.0, 1.0, 1.0])
    elif submission == "the baseline as the variant":
        score = BASELINE_SCORE
    elif submission == "another number of instructions":
        score = instruction_score(VARIANT_SCORE.answers[:3], VARIANT_SCORE.item_scores[:3])
    else:
        history = ift_history(40)
    passed, out = outcome(ex.check_ift_experiment, "down", recipe, history, score, BASELINE_SCORE, EVAL_SET, capsys=capsys)
    assert not passed and hint in out


# --- 04: two chunkings of two small pages, the real embedder ---------------------------------


@pytest.fixture(scope="module")
def chunking_case(embedder):
    from course_utils import rag
    from course_utils.retrieval import embed_texts

    sections = [
        {"doc_id": "faq-1", "url": "faq.html", "text": "To vacuum a database, run VACUUM; it rebuilds the file and frees unused pages. " * 3},
        {"doc_id": "faq-2", "url": "faq.html", "text": "Write-ahead logging keeps a separate WAL file so that readers do not block writers. " * 3},
        {"doc_id": "faq-3", "url": "other.html", "text": "A primary key uniquely identifies each row of a table and cannot be null. " * 3},
    ]
    pages = rag.pages_from_sections(sections)
    questions = [{"question": "How do I vacuum a database?", "gold_doc_ids": ["faq-1"]},
                 {"question": "What is WAL mode?", "gold_doc_ids": ["faq-2"]},
                 {"question": "What is a primary key?", "gold_doc_ids": ["faq-3"]}]
    chunkings = {}
    for size, overlap in ((48, 8), (24, 4)):
        chunks = rag.window_chunks(pages, embedder.tokenizer, chunk_size=size, overlap=overlap)
        chunkings[size] = (chunks, embed_texts(embedder, [c.text for c in chunks]))
    return pages, questions, chunkings


def test_a_genuine_rechunking_passes_and_is_measured_on_the_same_questions(chunking_case, embedder, capsys):
    pages, questions, chunkings = chunking_case
    passed, out = outcome(ex.check_chunking_experiment, "up", *chunkings[24], *chunkings[48], embedder, pages, questions, capsys=capsys)
    assert passed and "n = 3" in out and f"{len(chunkings[24][0])} chunks" in out


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "pass your chunking's chunks"),
        ("the baseline's chunks", "boundary for boundary"),
        ("random vectors", "are not the embeddings of its chunks"),
        ("one vector too few", "one vector per chunk"),
        ("a hand-typed dict", "pass your chunking's chunks"),
        ("other pages", "chunk the same pages"),
    ],
)
def test_fake_or_unchanged_chunkings_fail_with_a_hint(submission, hint, chunking_case, embedder, capsys):
    pages, questions, chunkings = chunking_case
    chunks, vectors = chunkings[24]
    if submission == "nothing run":
        chunks = vectors = None
    elif submission == "the baseline's chunks":
        chunks, vectors = chunkings[48]
    elif submission == "random vectors":
        vectors = np.random.default_rng(0).standard_normal(vectors.shape).astype(np.float32)
    elif submission == "one vector too few":
        vectors = vectors[:-1]
    elif submission == "a hand-typed dict":
        chunks = {"hit@1": 0.9}
    else:
        keep = [i for i, c in enumerate(chunks) if c.page_id == chunks[0].page_id]
        chunks, vectors = [chunks[i] for i in keep], vectors[keep]
    passed, out = outcome(ex.check_chunking_experiment, "up", chunks, vectors, *chunkings[48], embedder, pages, questions, capsys=capsys)
    assert not passed and hint in out


# --- 05: embedders faked by a hashing encoder (the baseline's vectors go to a temporary cache) ----


class HashingEmbedder:
    """A stand-in for a fine-tuned SentenceTransformer: a fixed random vector per word, summed; `salt` is its weights."""

    def __init__(self, salt: str, course_name: str) -> None:
        self.salt, self.course_name = salt, course_name

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256((self.salt + word.lower()).encode()).digest()[:4], "little")
        return np.random.default_rng(seed).standard_normal(16)

    def encode(self, texts, normalize_embeddings=True, **kwargs):
        vectors = np.array([sum(self._word(w) for w in text.split()) for text in texts])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


HANDBOOK = [{"doc_id": f"d{i}", "text": text} for i, text in enumerate(
    ["leave policy germany thirty days", "leave policy france twenty five days", "laptop security windows encryption", "laptop security macos filevault"])]
QUERIES = [{"query": text, "gold_doc_ids": [f"d{i}"]} for i, text in enumerate(
    ["germany leave days", "france leave days", "windows laptop encryption", "macos laptop filevault"])]


def embedder_run(salt="variant", name="minilm-ft-0000beef"):
    from course_utils.embedder_finetuning import EMBEDDER_RECIPE

    recipe = dataclasses.replace(EMBEDDER_RECIPE, num_negatives=0)
    return recipe, TrainingHistory(steps=[1, 2], train_loss=[1.2, 0.9]), HashingEmbedder(salt, name)


def test_a_genuine_embedder_run_with_one_changed_setting_passes(tmp_cache, capsys):
    recipe, history, model = embedder_run()
    passed, out = outcome(ex.check_embedder_experiment, "down", recipe, history, model, HashingEmbedder("baseline", "minilm-ft-1234abcd"), QUERIES, HANDBOOK, capsys=capsys)
    assert passed and "num_negatives=0" in out and "n = 4" in out


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "dataclasses.replace(ef.EMBEDDER_RECIPE"),
        ("the recipe unchanged", "your recipe is ef.EMBEDDER_RECIPE itself"),
        ("a hand-typed history", "the TrainingHistory that ef.train_embedder"),
        ("the untrained base model", "is not an embedder trained by ef.train_embedder"),
        ("the baseline as the variant", "embeds exactly like the baseline"),
    ],
)
def test_embedder_runs_without_a_real_changed_setting_fail_with_a_hint(submission, hint, tmp_cache, capsys):
    from course_utils.embedder_finetuning import EMBEDDER_RECIPE

    baseline = HashingEmbedder("baseline", "minilm-ft-1234abcd")
    recipe, history, model = embedder_run()
    if submission == "nothing run":
        recipe = history = model = None
    elif submission == "the recipe unchanged":
        recipe = EMBEDDER_RECIPE
    elif submission == "a hand-typed history":
        history = {"train_loss": [0.1]}
    elif submission == "the untrained base model":
        model = HashingEmbedder("base", "all-MiniLM-L6-v2")
    else:
        model = HashingEmbedder("baseline", "minilm-ft-1234abcd")
    passed, out = outcome(ex.check_embedder_experiment, "down", recipe, history, model, baseline, QUERIES, HANDBOOK, capsys=capsys)
    assert not passed and hint in out


# --- 06: variant results written by hand --------------------------------------------------------


@pytest.fixture(scope="module")
def source_case():
    from course_utils.prompt_eval import Example, Task

    examples = tuple(Example(f"e{i}", f"passage {i}", target) for i, target in enumerate(["novel", "documentation", "novel", "documentation"]))
    return Task("source", "Novel or documentation?", examples, (), "choice", choices=("novel", "documentation"))


def variant_result(name, replies, scores, prompt_tokens=40.0, task="source"):
    from course_utils.prompt_eval import VariantResult

    return VariantResult(variant=name, task=task, score=sum(scores) / len(scores), prompt_tokens=prompt_tokens, new_tokens=2.0, seconds=0.1,
                         valid_first=1.0, valid=1.0, replies=list(replies), scores=list(scores))


BASELINE_REPLIES = (["novel", "novel", "novel", "novel"], [1.0, 0.0, 1.0, 0.0])
VARIANT_REPLIES = (["novel", "documentation", "novel", "novel"], [1.0, 1.0, 1.0, 0.0])


def test_a_genuine_prompt_variant_passes_and_is_compared_on_the_same_examples(source_case, capsys):
    baseline = variant_result("chat, zero-shot", *BASELINE_REPLIES)
    passed, out = outcome(ex.check_prompt_experiment, "up", variant_result("chat, 2-shot", *VARIANT_REPLIES, prompt_tokens=90.0), baseline, source_case, capsys=capsys)
    assert passed and "'chat, 2-shot' 90" in out and "n = 4" in out


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "pe.evaluate_variant(...) result"),
        ("the baseline twice", "your variant is the baseline"),
        ("a hand-typed dict", "pe.evaluate_variant(...) result"),
        ("edited scores", "not the scores of its replies"),
        ("fewer examples", "answered 3 examples, the task has 4"),
        ("another task", "evaluated on task 'route'"),
    ],
)
def test_prompt_variants_that_are_no_real_run_fail_with_a_hint(submission, hint, source_case, capsys):
    baseline = variant_result("chat, zero-shot", *BASELINE_REPLIES)
    variant = variant_result("chat, 2-shot", *VARIANT_REPLIES, prompt_tokens=90.0)
    if submission == "nothing run":
        variant = None
    elif submission == "the baseline twice":
        variant = baseline
    elif submission == "a hand-typed dict":
        variant = {"score": 0.9, "scores": [1.0, 1.0, 1.0, 0.0]}
    elif submission == "edited scores":
        variant = variant_result("chat, 2-shot", VARIANT_REPLIES[0], [1.0, 1.0, 1.0, 1.0], prompt_tokens=90.0)
    elif submission == "fewer examples":
        variant = variant_result("chat, 2-shot", VARIANT_REPLIES[0][:3], VARIANT_REPLIES[1][:3], prompt_tokens=90.0)
    else:
        variant = variant_result("chat, 2-shot", *VARIANT_REPLIES, prompt_tokens=90.0, task="route")
    passed, out = outcome(ex.check_prompt_experiment, "up", variant, baseline, source_case, capsys=capsys)
    assert not passed and hint in out


# --- 07: approach runs written by hand ------------------------------------------------------------


QUESTIONS = [{"question": f"question {i}?", "asker_visibility": "all", "answer": answer, "gold_doc_ids": [f"d{i}"]}
             for i, answer in enumerate(["30 days", "Berlin", "VPN", "Friday", "two weeks", "HR"])]


def approach_run(name, replies, prompt_tokens, questions=QUESTIONS):
    from course_utils.assistant import ApproachRun

    return ApproachRun(name=name, questions=list(questions), replies=list(replies), source_ids=[[q["gold_doc_ids"][0]] for q in questions],
                       seconds=[0.1] * len(questions), prompt_tokens=list(prompt_tokens), ran=[True] * len(questions))


BASELINE_RUN = approach_run("RAG + tuned embedder", ["30 days", "Paris", "VPN", "Monday", "two weeks", "IT"], [100] * 6)


def test_a_genuine_rag_run_on_a_slice_of_the_questions_passes(capsys):
    variant = approach_run("4 sentences", ["30 days", "Berlin", "VPN", "Friday"], [160] * 4, QUESTIONS[:4])
    passed, out = outcome(ex.check_rag_experiment, "up", variant, BASELINE_RUN, capsys=capsys)
    assert passed and "n = 4" in out and "yours 160, the baseline's 100" in out


@pytest.mark.parametrize(
    "submission,hint",
    [
        ("nothing run", "answer_questions(...) result"),
        ("the baseline twice", "has the baseline's prompts and replies"),
        ("a hand-typed dict", "answer_questions(...) result"),
        ("other questions", "are not in the baseline run"),
        ("replies missing", "has 6 questions but 5 replies"),
    ],
)
def test_rag_runs_without_a_real_changed_parameter_fail_with_a_hint(submission, hint, capsys):
    variant = approach_run("4 sentences", ["30 days", "Berlin", "VPN", "Friday", "two weeks", "HR"], [160] * 6)
    if submission == "nothing run":
        variant = None
    elif submission == "the baseline twice":
        variant = BASELINE_RUN
    elif submission == "a hand-typed dict":
        variant = {"accuracy": 0.9}
    elif submission == "other questions":
        variant = approach_run("4 sentences", ["yes"], [160], [{**QUESTIONS[0], "question": "a question nobody asked?"}])
    else:
        variant.replies.pop()
    passed, out = outcome(ex.check_rag_experiment, "up", variant, BASELINE_RUN, capsys=capsys)
    assert not passed and hint in out


# --- Every checker: nothing escapes, scalars are normalised ---------------------------------------


@pytest.mark.parametrize("check", [ex.check_pretraining_experiment, ex.check_replay_experiment, ex.check_ift_experiment, ex.check_chunking_experiment,
                                   ex.check_embedder_experiment, ex.check_prompt_experiment, ex.check_rag_experiment])
def test_every_experiment_checker_answers_an_unsolved_cell_with_a_hint_not_an_exception(check, capsys):
    n_args = len([p for p in inspect.signature(check).parameters.values() if p.default is p.empty])
    for prediction in (None, "up"):
        passed, out = outcome(check, prediction, *[None] * (n_args - 1), capsys=capsys)
        assert not passed and "[NOT YET]" in out


def test_a_zero_dimensional_tensor_replay_share_is_read_as_its_number(tiny_models, capsys):
    baseline, variant, blocks = tiny_models
    passed, out = outcome(ex.check_replay_experiment, "down", torch.tensor(0.25), history_of(variant, blocks, 200, "general"), variant, baseline, blocks, capsys=capsys)
    assert passed and "25% replay" in out


def test_numpy_item_scores_are_accepted_as_numbers(capsys):
    numpy_scores = instruction_score(VARIANT_SCORE.answers, np.array(VARIANT_SCORE.item_scores))
    passed, _ = outcome(ex.check_ift_experiment, "up", dataclasses.replace(LIVE, num_steps=60), ift_history(60), numpy_scores, BASELINE_SCORE, EVAL_SET, capsys=capsys)
    assert passed

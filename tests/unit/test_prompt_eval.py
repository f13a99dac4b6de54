"""The prompt-evaluation harness: tasks, variants as data, prompt building, parsing, scoring, retries, costs."""

import json
from types import SimpleNamespace

import pytest
import torch

from course_utils import finetuning, models
from course_utils import prompt_eval as pe

TEXTS = ["Which team handles this question? HR, IT or other. How many vacation days do I get? {\"department\": \"HR\"}"] * 30


@pytest.fixture(scope="module")
def tokenizer():
    return finetuning.add_chat_template(models.train_bpe_tokenizer(TEXTS, vocab_size=400))


class ScriptedModel:
    """A stand-in for a causal LM: reads each prompt as text and replies `reply(prompt_text)` (greedy, deterministic)."""

    def __init__(self, tokenizer, reply, n_positions=1024):
        self.tokenizer, self.reply = tokenizer, reply
        self.config = SimpleNamespace(n_positions=n_positions)
        self.device = torch.device("cpu")
        self.prompts = []

    def generate(self, input_ids, attention_mask, max_new_tokens, pad_token_id, **_):
        rows = []
        for ids, mask in zip(input_ids, attention_mask):
            text = self.tokenizer.decode(ids[mask.bool()])
            self.prompts.append(text)
            rows.append((self.tokenizer(self.reply(text))["input_ids"] + [self.tokenizer.eos_token_id])[:max_new_tokens])
        width = max(map(len, rows))
        new = torch.tensor([row + [pad_token_id] * (width - len(row)) for row in rows])
        return torch.cat([input_ids, new], dim=1)


def toy_task(metric="choice", n=6, **overrides):
    labels = ["HR", "IT", "other"]
    examples = tuple(pe.Example(f"e{i}", f"question {i} about {labels[i % 3]}", labels[i % 3]) for i in range(n))
    pool = tuple(pe.Example(f"s{i}", f"shot {i} about {labels[i % 3]}", labels[i % 3]) for i in range(9))
    settings = dict(choices=tuple(labels), input_label="Question", output_label="Team", max_new_tokens=4)
    if metric == "json":
        examples = tuple(pe.Example(e.example_id, e.input, json.dumps({"department": e.target, "location": None})) for e in examples)
        settings = dict(json_keys=("department", "location"), output_label="JSON", max_new_tokens=24)
    settings.update(overrides)
    return pe.Task("toy", "Which team?", examples, pool, metric, **settings)


def keyword_reply(text):
    """Answers with the label named in the last line that holds a question."""
    last = [line for line in text.splitlines() if "about" in line][-1]
    return last.rsplit("about ", 1)[1].split()[0]


def test_balanced_shots_cover_every_class_are_seeded_and_never_evaluated():
    task = pe.routing_task()
    shots = pe.pick_shots(task, pe.PromptVariant("v", k=3))
    assert sorted(s.target for s in shots) == ["HR", "IT", "other"]
    assert shots == pe.pick_shots(task, pe.PromptVariant("v", k=3))
    assert shots != pe.pick_shots(task, pe.PromptVariant("v", k=3, shot_seed=1))
    assert {s.target for s in pe.pick_shots(task, pe.PromptVariant("v", k=5, shots="label=HR"))} == {"HR"}
    assert not {s.example_id for s in task.shot_pool} & {e.example_id for e in task.examples}


def test_a_task_refuses_an_example_that_is_also_a_shot():
    example = pe.Example("q1", "question", "HR")
    with pytest.raises(ValueError, match="both evaluated and usable as shots"):
        pe.Task("t", "Which team?", (example,), (example,), "choice", choices=("HR",))
    with pytest.raises(ValueError, match="Unknown metric"):
        pe.Task("t", "Which team?", (example,), (), "bleu")
    with pytest.raises(ValueError, match="shots must be"):
        pe.PromptVariant("v", shots="nearest")


def test_raw_prompt_puts_instruction_then_shots_then_the_open_question():
    task = toy_task()
    variant = pe.PromptVariant("raw", chat=False, k=2)
    prompt = pe.build_prompt(task, variant, task.examples[0], pe.pick_shots(task, variant))
    assert prompt.startswith("Which team?\n\nQuestion: shot")
    assert prompt.count("Team: ") == 2 and prompt.endswith("Question: question 0 about HR\nTeam:")


def test_chat_prompt_turns_shots_into_earlier_turns_after_the_system_message():
    task = toy_task()
    variant = pe.PromptVariant("chat", system="You route questions.", k=2)
    messages = pe.build_prompt(task, variant, task.examples[0], pe.pick_shots(task, variant))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"].startswith("Which team?\n") and messages[-1]["content"] == "question 0 about HR"


def test_instruction_last_puts_the_instruction_after_the_input():
    task = toy_task()
    chat = pe.build_prompt(task, pe.PromptVariant("chat", instruction_last=True), task.examples[0])
    raw = pe.build_prompt(task, pe.PromptVariant("raw", chat=False, instruction_last=True), task.examples[0])
    assert chat[-1]["content"] == "question 0 about HR\n\nWhich team?"
    assert raw == "Question: question 0 about HR\n\nWhich team?\nTeam:"


def test_standard_variants_cover_raw_chat_role_and_few_shot():
    task = pe.source_task()
    names = [v.name for v in pe.standard_variants(task)]
    assert names == ["raw text, zero-shot", "chat, zero-shot", "chat, role + instructions", "raw text, 4-shot"]
    assert pe.standard_variants(task)[2].system == task.role


def test_step_by_step_and_format_hint_extend_the_instruction():
    task = toy_task()
    prompt = pe.build_prompt(task, pe.PromptVariant("cot", step_by_step=True, format_hint="One word."), task.examples[0])
    assert prompt[0]["content"].startswith("Which team? One word. Think step by step")


def test_a_model_without_chat_template_gets_a_plain_transcript(tokenizer):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    plain = SimpleNamespace(chat_template=None)
    assert pe.model_input(plain, messages) == "System: Be brief.\n\nUser: Hi\n\nAssistant:"
    assert pe.model_input(plain, messages, reply_prefix="{") == "System: Be brief.\n\nUser: Hi\n\nAssistant: {"
    primed = pe.model_input(tokenizer, [{"role": "user", "content": "Hi"}], reply_prefix="{")
    assert primed == "<|user|>\nHi\n<|assistant|>\n{"


def test_parse_choice_needs_exactly_one_choice_in_the_first_line_and_not_the_pronoun_it():
    choices = ("HR", "IT", "other")
    assert pe.parse_choice("HR.", choices) == "HR"
    assert pe.parse_choice(" Other (responsible AI)", choices) == "other"
    assert pe.parse_choice("The answer is: IT", choices) == "IT"
    assert pe.parse_choice("IT\n\nQuestion: ...\nTeam: HR", choices) == "IT"  # a continuation after the first line is ignored
    assert pe.parse_choice("It depends on the country", choices) is None
    assert pe.parse_choice("HR, IT or other", choices) is None  # repeating the options is not an answer
    assert pe.parse_choice("HRIS", choices) is None and pe.parse_choice("", choices) is None


def test_parse_json_reply_finds_the_object_and_says_what_is_wrong():
    keys = ("department", "location")
    assert pe.parse_json_reply('```json\n{"department": "HR", "location": null}\n``` and more', keys) == {"department": "HR", "location": None}
    with pytest.raises(ValueError, match="no JSON object"):
        pe.parse_json_reply("HR, Germany", keys)
    with pytest.raises(ValueError, match="malformed"):
        pe.parse_json_reply('{"department": "HR", "location"', keys)
    with pytest.raises(ValueError, match="lacks the key"):
        pe.parse_json_reply('{"department": "HR"}', keys)


def test_final_answer_is_the_text_after_the_last_answer_marker():
    assert pe.final_answer("HR handles pay. Answer: IT?\nAnswer: HR") == "HR"
    assert pe.final_answer("HR") == "HR"


def test_json_replies_score_the_share_of_correct_fields():
    task = toy_task("json")
    example = pe.Example("x", "q", json.dumps({"department": "HR", "location": "Germany"}))
    assert pe.score_reply(task, '{"department": "hr", "location": "Germany"}', example) == 1.0
    assert pe.score_reply(task, '{"department": "IT", "location": "germany"}', example) == 0.5
    assert pe.score_reply(task, "HR in Germany", example) == 0.0


def test_evaluate_variant_scores_counts_costs_and_is_repeatable(tokenizer):
    task = toy_task()
    model = ScriptedModel(tokenizer, keyword_reply)
    result = pe.evaluate_variant(model, tokenizer, pe.PromptVariant("chat"), task)
    assert result.score == 1.0 and result.valid == 1.0 and result.too_long == 0
    assert result.prompt_tokens > 5 and 0 < result.new_tokens <= 4 and result.seconds > 0
    wrong = pe.evaluate_variant(ScriptedModel(tokenizer, lambda text: "It is HR or IT"), tokenizer, pe.PromptVariant("chat"), task)
    assert wrong.score == 0.0 and wrong.valid == 0.0
    assert pe.evaluate_variant(model, tokenizer, pe.PromptVariant("chat"), task).replies == result.replies


def test_a_retry_shows_the_error_and_fixes_an_invalid_reply(tokenizer):
    task = toy_task("json")

    def reply(text):
        return '{"department": "HR", "location": null}' if "not valid" in text else "HR"

    once = pe.evaluate_variant(ScriptedModel(tokenizer, reply), tokenizer, pe.PromptVariant("no retry"), task)
    model = ScriptedModel(tokenizer, reply)
    twice = pe.evaluate_variant(model, tokenizer, pe.PromptVariant("retry", retry=True), task)
    assert once.valid == 0.0 and twice.valid_first == 0.0 and twice.valid == 1.0
    assert twice.retried == len(task.examples) and twice.score == pytest.approx(2 / 6 * 1.0 + 4 / 6 * 0.5) and twice.score_first == 0.0
    assert twice.prompt_tokens > 2 * once.prompt_tokens  # the retry re-reads the prompt, the bad reply and the error
    assert any("no JSON object" in prompt for prompt in model.prompts)


def test_a_reply_prefix_is_part_of_the_scored_reply(tokenizer):
    task = toy_task("json")
    model = ScriptedModel(tokenizer, lambda text: 'HR", "location": null}')
    result = pe.evaluate_variant(model, tokenizer, pe.PromptVariant("primed", reply_prefix='{"department": "'), task)
    assert result.replies[0] == '{"department": "HR", "location": null}' and result.valid == 1.0


def test_prompts_longer_than_the_window_score_zero_instead_of_crashing(tokenizer):
    task = toy_task()
    short_window = ScriptedModel(tokenizer, keyword_reply, n_positions=30)
    zero_shot = pe.evaluate_variant(short_window, tokenizer, pe.PromptVariant("chat"), task)
    five_shot = pe.evaluate_variant(short_window, tokenizer, pe.PromptVariant("chat", k=5), task)
    assert zero_shot.too_long == 0 and five_shot.too_long == len(task.examples) and five_shot.score == 0.0
    assert five_shot.prompt_tokens > 30 > zero_shot.prompt_tokens and five_shot.new_tokens == 0  # what it would cost, never run


def test_select_variant_returns_the_best_variant_and_every_result(tokenizer):
    task = toy_task()
    model = ScriptedModel(tokenizer, lambda text: keyword_reply(text) if "Team:" in text else "no idea")
    chosen, tried = pe.select_variant(model, tokenizer, [pe.PromptVariant("chat"), pe.PromptVariant("raw", chat=False)], task)
    assert chosen.name == "raw" and tried["raw"].score == 1.0 and tried["chat"].score == 0.0
    with pytest.raises(ValueError):
        pe.select_variant(model, tokenizer, [], task)


def test_one_line_tasks_stop_decoding_at_a_line_break_and_restore_the_eos_ids(tokenizer):
    newline_ids = pe.newline_token_ids(tokenizer)
    assert newline_ids and all("Ċ" in tokenizer.convert_ids_to_tokens(i) for i in newline_ids)
    model = ScriptedModel(tokenizer, keyword_reply)
    model.generation_config = SimpleNamespace(eos_token_id=tokenizer.eos_token_id)
    seen = []
    original = model.generate

    def spy(**kwargs):
        eos = model.generation_config.eos_token_id
        seen.append([eos] if isinstance(eos, int) else list(eos))
        return original(**kwargs)

    model.generate = spy
    pe.evaluate_variant(model, tokenizer, pe.PromptVariant("chat"), toy_task(stop_at_newline=True))
    assert seen[-1] == [tokenizer.eos_token_id, *newline_ids] and model.generation_config.eos_token_id == tokenizer.eos_token_id
    pe.evaluate_variant(model, tokenizer, pe.PromptVariant("cot", step_by_step=True), toy_task(stop_at_newline=True))
    assert seen[-1] == [tokenizer.eos_token_id]  # reasoning spans lines: no early stop


def test_best_variant_prefers_the_score_then_the_cheaper_prompt():
    def result(score, tokens):
        return pe.VariantResult("v", "t", score, tokens, 1, 0.1, 1, 1)

    assert pe.best_variant({"a": result(0.5, 10), "b": result(0.7, 90), "c": result(0.7, 40)}) == "c"
    assert pe.spread([0.25, 0.75, 0.5]) == pytest.approx({"min": 0.25, "max": 0.75, "range": 0.5, "std": 0.2041241})
    assert pe.score_matrix({("v1", "m1"): result(0.5, 1), ("v1", "m2"): result(0.2, 1)}) == {"v1": {"m1": 0.5, "m2": 0.2}}
    with pytest.raises(ValueError):
        pe.best_variant({})


def test_the_course_tasks_are_labelled_from_the_data():
    route = pe.routing_task(n=12)
    assert sorted(e.target for e in route.examples) == ["HR"] * 4 + ["IT"] * 4 + ["other"] * 4
    extract = pe.extraction_task(n=12)
    for example in extract.examples:
        location = json.loads(example.target)["location"]
        assert location is None or location.lower() in example.input.lower()
    assert sum(json.loads(e.target)["location"] is not None for e in extract.examples) == 6
    source = pe.source_task(n=8)
    assert {e.target for e in source.examples} == {"novel", "documentation"}
    answers = pe.handbook_answer_task(n=6)
    assert all(len(shot.context) == 1 and pe.score_reply(answers, shot.context[0], shot) == 1.0 for shot in answers.shot_pool[:20])


def test_handbook_contexts_reach_the_prompt_as_numbered_sources():
    task = pe.handbook_answer_task(n=3, contexts={q: ["Alpha.", "Beta."] for q in [e.example_id for e in pe.handbook_answer_task(n=3).examples]})
    prompt = pe.build_prompt(task, pe.PromptVariant("raw", chat=False), task.examples[0])
    assert "Sources:\n[1] Alpha.\n[2] Beta.\n\nQuestion: " in prompt and prompt.endswith("Answer:")


def test_recorded_best_variant_names_the_notebook_to_run(tmp_cache):
    with pytest.raises(FileNotFoundError, match="06_prompt_engineering"):
        pe.recorded_best_variant("SmolLM2-135M-Instruct")
    from course_utils.results import NotebookResults

    NotebookResults("06_prompt_engineering").report(pe.best_variant_key(pe.COMPARED_MODELS[0]), "raw text, 1-shot")
    assert pe.recorded_best_variant("SmolLM2-135M-Instruct").k == 1
    with pytest.raises(KeyError, match="run notebooks/06"):
        pe.recorded_best_variant("gemma-3-270m")


# --- Notebook 06's exercise checkers ---


def test_few_shot_checker_accepts_the_format_and_rejects_a_missing_label_line(capsys):
    from course_utils.exercises import check_few_shot_prompt

    def right(instruction, shots, question):
        blocks = [instruction] + [f"Question: {q}\nTeam: {a}" for q, a in shots] + [f"Question: {question}\nTeam:"]
        return "\n\n".join(blocks)

    def no_open_label(instruction, shots, question):
        return right(instruction, shots, question).removesuffix("\nTeam:")

    assert check_few_shot_prompt(right)
    assert not check_few_shot_prompt(no_open_label)
    assert "Team:" in capsys.readouterr().out


def test_json_checker_accepts_a_validator_and_rejects_one_that_ignores_missing_keys():
    from course_utils.exercises import check_parse_json_reply

    def right(text, keys):
        try:
            return pe.parse_json_reply(text, keys)
        except ValueError:
            return None

    def lax(text, keys):
        start = text.find("{")
        try:
            return json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else None
        except ValueError:
            return None

    assert check_parse_json_reply(right)
    assert not check_parse_json_reply(lax)


def test_ift_prompt_checker_compares_with_a_plain_raw_prompt_on_validation_passages(tokenizer):
    from course_utils.exercises import check_ift_prompt

    labels = {e.input: e.target for e in pe.source_task(n=10, split="validation").examples}

    def reply(text):  # answers right only inside its chat format
        passage = next(p for p in labels if p in text)
        return labels[passage] if text.rstrip().endswith("<|assistant|>") else "The"

    model = ScriptedModel(tokenizer, reply)
    assert check_ift_prompt(lambda passage: f"<|user|>\n{pe.SOURCE_INSTRUCTION}\n{passage}\n<|assistant|>\n", model, tokenizer)
    assert not check_ift_prompt(lambda passage: f"{pe.SOURCE_INSTRUCTION}\n{passage}", model, tokenizer)
    assert not check_ift_prompt(lambda passage: "<|user|>\nNo passage here\n<|assistant|>\n", model, tokenizer)


# --- answering or continuing (notebook 06, section 1) ---

REQUEST = "Tell me three principles important to Responsible AI"


@pytest.mark.parametrize("reply", [
    "1. Fairness\n2. Transparency\n3. Accountability",
    "Three principles are fairness, transparency and accountability.",
    "Sure! Fairness, privacy and safety.",
])
def test_a_reply_that_answers_is_not_a_continuation(reply):
    assert not pe.continues_text(REQUEST, reply)


@pytest.mark.parametrize("reply", [
    "",  # nothing at all
    "   \n ",
    "and explain why each one matters.",  # carries on the request's sentence
    ". Tell me three more.",  # ends the request's sentence, then asks again
    "Fairness.\nTell me three principles important to Robotics",  # another request of the same form
    "What is Responsible AI?",  # a question back
    "[User 0002]\n\nI have the same problem.",  # a forum thread, carried on
    "<start_of_image><start_of_image>",  # markup, not an answer
    REQUEST,  # the request itself, repeated
])
def test_a_reply_that_carries_on_the_text_or_asks_again_is_a_continuation(reply):
    assert pe.continues_text(REQUEST, reply)


def test_the_guides_request_comes_first_and_requests_are_unique():
    assert pe.OPEN_REQUESTS[0] == REQUEST
    assert len(set(pe.OPEN_REQUESTS)) == len(pe.OPEN_REQUESTS) >= 20

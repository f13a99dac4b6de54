import pytest
import torch

from course_utils import finetuning as ft
from course_utils import models

TEXTS = ["Is this from a novel? Emma smiled at Harriet.", "Give the title of this passage. WAL mode lets readers and writers work at once."] * 20


@pytest.fixture(scope="module")
def tokenizer():
    return ft.add_chat_template(models.train_bpe_tokenizer(TEXTS, vocab_size=400))


def record(task="source", instruction="Is this from a novel or from technical documentation?", text="Emma smiled at Harriet.", output="novel"):
    return {"id": "r1", "task": task, "instruction": instruction, "input": text, "output": output}


def test_chat_template_marks_roles_with_reserved_tokens(tokenizer):
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "novel"}], tokenize=False)
    assert text == "<|user|>\nhi\n<|assistant|>\nnovel<|endoftext|>"
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("<|assistant|>\n")


def test_masked_example_scores_only_the_answer_and_its_end_token(tokenizer):
    example = ft.tokenize_example(tokenizer, record(), max_length=128)
    scored = [token for token, label in zip(example["input_ids"], example["labels"]) if label != ft.IGNORE_INDEX]
    assert tokenizer.decode(scored) == "novel<|endoftext|>"


def test_unmasked_example_scores_every_token(tokenizer):
    example = ft.tokenize_example(tokenizer, record(), max_length=128, mask_prompt=False)
    assert example["labels"] == example["input_ids"]


def test_long_inputs_are_cut_to_fit_and_impossible_ones_dropped(tokenizer):
    long_record = record(text="Emma smiled at Harriet. " * 40)
    example = ft.tokenize_example(tokenizer, long_record, max_length=64)
    assert len(example["input_ids"]) <= 64
    assert ft.tokenize_example(tokenizer, record(output="novel " * 80), max_length=64) is None
    with pytest.raises(ValueError, match="No example fits"):
        ft.tokenize_examples(tokenizer, [record(output="novel " * 80)], max_length=64)


def test_lora_trains_a_small_fraction_matching_the_formula(tokenizer):
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=2, n_embd=64, n_head=4, context_length=64)
    model = models.build_tiny_gpt(config, tokenizer)
    targets = ("c_attn", "c_proj", "c_fc")
    formula = ft.lora_parameter_formula(model, targets, r=4)
    lora = ft.lora_model(model, r=4, target_modules=targets)
    assert models.count_parameters(lora, trainable_only=True) == formula
    assert formula / models.count_parameters(lora) < 0.2
    with pytest.raises(ValueError, match="No 2-D weight"):
        ft.lora_parameter_formula(model, ("nonexistent",), r=4)


def test_instruction_tuning_teaches_a_tiny_model_the_answer_format(tmp_cache, tokenizer):
    torch.manual_seed(0)
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=2, n_embd=64, n_head=4, context_length=128)
    model = models.build_tiny_gpt(config, tokenizer)
    records = [record(text="Emma smiled.", output="novel"), record(text="WAL mode.", output="documentation")] * 8
    examples = ft.tokenize_examples(tokenizer, records, max_length=128)
    before = ft.instruction_score(model, tokenizer, records[:2], max_new_tokens=4)
    ft.instruction_tune(model, tokenizer, examples, num_steps=60, run_name="test", per_device_train_batch_size=4, learning_rate=3e-3, disable_tqdm=True)
    after = ft.instruction_score(model, tokenizer, records[:2], max_new_tokens=24)
    assert after.overall == 1.0 and after.stops == 1.0 and before.overall < 1.0


def test_score_answer_uses_each_tasks_metric():
    assert ft.score_answer("source", "Novel", "novel") == 1.0
    assert ft.score_answer("digit", "no", "yes") == 0.0
    assert ft.score_answer("handbook_answer", "You get 30 days.", "30 days") == 1.0
    with pytest.raises(ValueError, match="Unknown task"):
        ft.score_answer("poetry", "a", "b")


def test_training_state_memory_is_twelve_bytes_per_trainable_parameter():
    assert ft.training_state_bytes(1_000) == 12_000


def test_handbook_records_put_the_policy_before_the_question():
    handbook = [{"doc_id": "d1", "text": "Staff get 30 days."}]
    questions = [{"qid": "q1", "question": "How many days?", "answer": "30 days", "gold_doc_ids": ["d1"], "type": "single"},
                 {"qid": "q2", "question": "List all", "answer": "", "gold_doc_ids": ["d1"], "type": "exhaustive"}]
    records = ft.handbook_answer_records(questions, handbook)
    assert len(records) == 1 and records[0]["input"].startswith("Policy: Staff get 30 days.") and records[0]["output"] == "30 days"


def test_padding_scores_no_padded_position(tokenizer):
    short = {"input_ids": [5, 6], "labels": [ft.IGNORE_INDEX, 6]}
    long = {"input_ids": [5, 6, 7, 8], "labels": [ft.IGNORE_INDEX, 6, 7, 8]}
    batch = ft.padding_collator(tokenizer)([short, long])
    assert batch["labels"].tolist() == [[ft.IGNORE_INDEX, 6, ft.IGNORE_INDEX, ft.IGNORE_INDEX], [ft.IGNORE_INDEX, 6, 7, 8]]
    assert batch["input_ids"][0, 2:].tolist() == [tokenizer.pad_token_id] * 2


def test_a_prompt_without_input_that_cannot_fit_is_dropped(tokenizer):
    too_long = record(instruction="Is this from a novel? " * 30, text="")
    assert ft.tokenize_example(tokenizer, too_long, max_length=32) is None


def test_the_user_turn_is_the_instruction_alone_when_there_is_no_input():
    assert ft.user_content({"instruction": "Say hi.", "input": ""}) == "Say hi."
    assert ft.user_content({"instruction": "Title?", "input": "WAL mode."}) == "Title?\nWAL mode."


def test_tokens_seen_count_every_epoch_of_a_run_longer_than_its_data():
    examples = [{"input_ids": [0] * n} for n in (3, 5, 7)]
    assert ft.examples_tokens(examples, 2) == 8
    assert ft.examples_tokens(examples, 7) == 2 * 15 + 3

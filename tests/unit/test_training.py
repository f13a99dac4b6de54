import pytest
import torch

from course_utils import models, training
from course_utils.evaluation import mean_loss

TEXTS = ["the cat sat on the mat and the dog sat on the log. " * 30, "a b c d e f g h i j k l m n o p. " * 30]


def tiny_model_and_blocks():
    """A seeded one-layer GPT, its tokenizer, and TEXTS packed into 16-token blocks."""
    torch.manual_seed(0)
    tokenizer = models.train_bpe_tokenizer(TEXTS, vocab_size=300)
    config = models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=16)
    model = models.build_tiny_gpt(config, tokenizer)
    return tokenizer, model, training.pack_blocks(training.tokenize_documents(tokenizer, TEXTS), 16)


def test_tokenize_documents_puts_a_separator_after_every_document():
    tokenizer = models.train_bpe_tokenizer(TEXTS, vocab_size=300)
    ids = training.tokenize_documents(tokenizer, ["one doc", "two doc"])
    assert ids.count(tokenizer.eos_token_id) == 2 and ids[-1] == tokenizer.eos_token_id


def test_pack_blocks_drops_the_ragged_tail():
    blocks = training.pack_blocks(list(range(10)), 4)
    assert blocks.shape == (2, 4) and blocks.dtype == torch.long
    assert blocks[1].tolist() == [4, 5, 6, 7]


@pytest.mark.parametrize("ids,size,message", [(list(range(3)), 4, "fewer than one block"), (list(range(10)), 1, "at least 2")])
def test_pack_blocks_explains_bad_input(ids, size, message):
    with pytest.raises(ValueError, match=message):
        training.pack_blocks(ids, size)


def test_training_arguments_suit_a_cpu(tmp_cache):
    args = training.training_arguments("test")
    assert args.report_to == []  # "none" is stored as an empty list of integrations
    assert args.bf16 is False and args.activation_checkpointing is False


def test_train_causal_lm_lowers_the_loss_and_records_history(tmp_cache):
    tokenizer, model, blocks = tiny_model_and_blocks()
    before = mean_loss(model, blocks)
    history = training.train_causal_lm(
        model, blocks, blocks[:4], num_steps=40, run_name="test", eval_every=20,
        per_device_train_batch_size=8, logging_steps=10, disable_tqdm=True,
    )
    after = mean_loss(model, blocks)
    assert after < before - 1.0  # 40 steps on repetitive text: loss falls by well over a nat
    assert len(history.train_loss) == 4 and history.eval_steps == [0, 20, 40]
    assert list(history.eval_loss) == ["validation"] and len(history.eval_loss["validation"]) == 3
    assert history.tokens_seen == 40 * 8 * 16 and history.tokens_per_second > 0
    # AdamW keeps two fp32 moments per parameter (8 bytes) plus a 4-byte step counter per tensor
    n_params, n_tensors = models.count_parameters(model), len(list(model.parameters()))
    assert 8 * n_params <= history.optimizer_state_bytes <= 8 * n_params + 4 * n_tensors
    assert history.peak_rss_growth_bytes >= 0


def test_objects_from_before_training_are_frozen_for_the_garbage_collector_only_while_it_runs(tmp_cache):
    import gc

    from transformers import TrainerCallback

    _, model, blocks = tiny_model_and_blocks()
    frozen_during = []

    class FreezeCount(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            frozen_during.append(gc.get_freeze_count())

    training.train_causal_lm(model, blocks, num_steps=2, run_name="test", per_device_train_batch_size=4, callbacks=[FreezeCount()])
    assert len(frozen_during) == 2 and min(frozen_during) > 1000  # the model, tensors and imported modules
    assert gc.get_freeze_count() == 0  # collected normally again afterwards


def test_the_trainers_flops_estimate_counts_parameters_once_and_matches_the_stock_one(tmp_cache, monkeypatch):
    from transformers import Trainer

    _, model, blocks = tiny_model_and_blocks()
    args = training.training_arguments("test", max_steps=1)
    course, stock = training._trainer_class()(model=model, args=args), Trainer(model=model, args=args)
    inputs = {"input_ids": blocks[:4], "labels": blocks[:4]}
    expected = stock.floating_point_ops(inputs)
    assert expected == 6 * blocks[:4].numel() * model.num_parameters(exclude_embeddings=True) > 0
    counts = []
    counting = type(model).num_parameters
    monkeypatch.setattr(type(model), "num_parameters", lambda self, **kw: counts.append(1) or counting(self, **kw))
    assert [course.floating_point_ops(inputs) for _ in range(3)] == [expected] * 3
    assert len(counts) == 1
    assert course.floating_point_ops({"attention_mask": blocks[:4]}) == 0  # no input ids: no estimate, as in the stock Trainer


def test_train_causal_lm_rejects_zero_steps(tmp_cache):
    with pytest.raises(ValueError, match="positive"):
        training.train_causal_lm(None, None, num_steps=0, run_name="x")


def test_train_causal_lm_evaluates_several_named_sets(tmp_cache):
    tokenizer, model, blocks = tiny_model_and_blocks()
    history = training.train_causal_lm(
        model, blocks, {"domain": blocks[:2], "general": blocks[2:4]}, num_steps=10, run_name="test", eval_every=5,
        per_device_train_batch_size=4, disable_tqdm=True,
    )
    assert history.eval_steps == [0, 5, 10]
    assert sorted(history.eval_loss) == ["domain", "general"] and all(len(v) == 3 for v in history.eval_loss.values())


def test_trainer_evaluation_loss_matches_mean_loss(tmp_cache):
    # Guards the GPT-2 loss-type fix: left alone, Trainer averaged over T instead of T-1 positions.
    from transformers import Trainer

    tokenizer, model, blocks = tiny_model_and_blocks()
    blocks = blocks[:8]
    trainer = Trainer(model=model, args=training.training_arguments("test"), eval_dataset=training.BlockDataset(blocks))
    assert trainer.evaluate()["eval_loss"] == pytest.approx(mean_loss(model, blocks), rel=1e-5)


def test_generation_snapshots_record_text_at_the_requested_steps(tmp_cache):
    tokenizer, model, blocks = tiny_model_and_blocks()
    snapshots = training.generation_snapshots(tokenizer, "the cat", at_steps=[0, 5], max_new_tokens=4)
    training.train_causal_lm(model, blocks, num_steps=5, run_name="test", callbacks=[snapshots], per_device_train_batch_size=4, disable_tqdm=True)
    assert sorted(snapshots.samples) == [0, 5] and all(isinstance(t, str) for t in snapshots.samples.values())


def test_pretraining_decays_the_learning_rate_to_a_tenth_of_its_peak(tmp_cache):
    from transformers import TrainerCallback

    tokenizer, model, blocks = tiny_model_and_blocks()
    rates = []

    class RecordRate(TrainerCallback):
        def on_step_end(self, args, state, control, optimizer=None, **kwargs):
            rates.append(optimizer.param_groups[0]["lr"])

    training.train_causal_lm(model, blocks, num_steps=20, run_name="test", callbacks=[RecordRate()], per_device_train_batch_size=4,
                             learning_rate=1e-3, warmup_steps=2)
    assert max(rates) == pytest.approx(1e-3, rel=0.05) and rates[-1] == pytest.approx(1e-4, rel=0.05)


def test_another_schedule_replaces_the_pretraining_floor(tmp_cache):
    tokenizer, model, blocks = tiny_model_and_blocks()
    history = training.train_causal_lm(model, blocks, num_steps=2, run_name="test", per_device_train_batch_size=4, lr_scheduler_type="constant")
    assert history.seconds > 0

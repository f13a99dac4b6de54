"""Scale-out helpers: the global batch is split exactly, DDP settings appear only when distributed."""

import argparse

import pytest

import distributed  # scripts/distributed.py (pytest's pythonpath includes scripts/)


def test_global_batch_splits_evenly_over_processes():
    assert distributed.per_device_batch_size(8, processes=2) == 4
    assert distributed.per_device_batch_size(8, processes=1) == 8


def test_a_batch_that_does_not_split_evenly_is_refused():
    with pytest.raises(ValueError, match="multiple of 3"):
        distributed.per_device_batch_size(8, processes=3)
    with pytest.raises(ValueError):
        distributed.per_device_batch_size(0, processes=1)


def test_ddp_settings_only_under_a_launcher(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.ddp_overrides("cpu") == {} and distributed.world_size() == 1 and distributed.is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.ddp_overrides("cpu")["ddp_backend"] == "gloo"
    assert distributed.ddp_overrides("cuda")["ddp_backend"] == "nccl"
    assert not distributed.is_main_process()


def test_script_options_default_to_the_recipe_and_folders_follow_save_as(tmp_cache):
    parser = distributed.add_training_arguments(argparse.ArgumentParser(), num_steps=600, batch_size=8, lr=1e-3, eval_every=100, save_as="x")
    args = parser.parse_args(["--num-steps", "5"])
    assert (args.num_steps, args.batch_size, args.save_as) == (5, 8, "x")
    assert distributed.run_folder(args) == tmp_cache / "runs" / "x"
    overrides = distributed.trainer_overrides(args, "cpu")
    assert overrides["output_dir"].endswith("runs/x") and overrides["logging_steps"] == 10


def test_tokenizer_fingerprint_changes_with_the_vocabulary():
    class Vocab:
        def __init__(self, vocab):
            self.vocab = vocab

        def get_vocab(self):
            return self.vocab

    a, b = Vocab({"a": 0, "b": 1}), Vocab({"a": 0, "c": 1})
    assert distributed.tokenizer_fingerprint(a) == distributed.tokenizer_fingerprint(Vocab({"b": 1, "a": 0}))
    assert distributed.tokenizer_fingerprint(a) != distributed.tokenizer_fingerprint(b)


def test_one_process_always_agrees_with_itself():
    assert distributed.same_on_every_process("anything")

import pytest

from course_utils import exercises as ex
from course_utils.retrieval import embed_texts

RIGHT_CHOICES = {scenario: answer for scenario, (answer, _) in ex.APPROACH_SCENARIOS.items()}


def test_approach_checker_passes_the_articles_choices(capsys):
    assert ex.check_approach_choices(RIGHT_CHOICES) is True
    assert "[PASS]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answers,hint",
    [
        ({}, "exactly the scenarios"),
        ({s: "rag" for s in ex.APPROACH_SCENARIOS}, "differ from the article"),
        ({s: "magic" for s in ex.APPROACH_SCENARIOS}, "use only these names"),
    ],
)
def test_approach_checker_rejects_wrong_answers_with_a_hint(answers, hint, capsys):
    assert ex.check_approach_choices(answers) is False
    out = capsys.readouterr().out
    assert "[NOT YET]" in out and hint in out


def test_most_similar_checker(embedder):
    def right(query, candidates):
        vectors = embed_texts(embedder, [query, *candidates])
        return candidates[int((vectors[1:] @ vectors[0]).argmax())]

    assert ex.check_most_similar(right, embedder) is True
    assert ex.check_most_similar(lambda q, c: c[-1], embedder) is False


def test_checkers_report_an_unfinished_exercise_instead_of_crashing(embedder, capsys):
    def unfinished(query, candidates):
        raise NotImplementedError

    assert ex.check_most_similar(unfinished, embedder) is False
    assert "placeholder" in capsys.readouterr().out


def test_prompt_token_checker(chat_model, capsys):
    _, tokenizer = chat_model

    def right(question):
        messages = [{"role": "user", "content": question}]
        return len(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])

    assert ex.check_prompt_token_count(right, tokenizer) is True
    assert ex.check_prompt_token_count(lambda q: len(tokenizer(q)["input_ids"]), tokenizer) is False
    assert "chat template" in capsys.readouterr().out


def test_parameter_formula_checker():
    def right(vocab_size, context_length, n_layer, n_embd):
        d = n_embd
        return vocab_size * d + context_length * d + n_layer * (12 * d * d + 13 * d) + 2 * d

    def untied(vocab_size, context_length, n_layer, n_embd):
        return right(vocab_size, context_length, n_layer, n_embd) + vocab_size * n_embd

    assert ex.check_parameter_formula(right) is True
    assert ex.check_parameter_formula(untied) is False


def test_next_token_loss_checker(capsys):
    import torch.nn.functional as F

    def right(logits, input_ids):
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), input_ids[:, 1:].reshape(-1)).item()

    def unshifted(logits, input_ids):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), input_ids.reshape(-1)).item()

    assert ex.check_next_token_loss(right) is True
    assert ex.check_next_token_loss(unshifted) is False
    assert "t+1" in capsys.readouterr().out


def test_training_days_checker():
    def right(n_parameters, n_tokens, n_gpus, peak, utilisation):
        return 6 * n_parameters * n_tokens / (n_gpus * peak * utilisation) / 86400

    def forgot_the_six(n_parameters, n_tokens, n_gpus, peak, utilisation):
        return right(n_parameters, n_tokens, n_gpus, peak, utilisation) / 6

    assert ex.check_training_days(right) is True
    assert ex.check_training_days(forgot_the_six) is False


@pytest.fixture(scope="module")
def small_tokenizer():
    from course_utils.models import train_bpe_tokenizer

    return train_bpe_tokenizer(["SELECT name FROM sqlite_master; Emma walked to Hartfield."] * 30, vocab_size=300)


def test_words_per_context_checker(small_tokenizer):
    from course_utils.models import tokens_per_word

    assert ex.check_words_per_context(lambda tok, texts, n: n / tokens_per_word(tok, texts), small_tokenizer) is True
    assert ex.check_words_per_context(lambda tok, texts, n: n * tokens_per_word(tok, texts), small_tokenizer) is False


def test_replay_blocks_checker(capsys):
    assert ex.check_replay_blocks(lambda n, f: round(n * f / (1 - f))) is True
    assert ex.check_replay_blocks(lambda n, f: round(n * f)) is False
    assert "mixed" in capsys.readouterr().out


def test_packing_checker(small_tokenizer):
    from course_utils.training import pack_blocks, tokenize_documents

    assert ex.check_packing(lambda tok, texts, size: pack_blocks(tokenize_documents(tok, texts), size), small_tokenizer) is True
    no_separator = lambda tok, texts, size: pack_blocks([i for t in texts for i in tok(t)["input_ids"]] + [0] * len(texts), size)  # noqa: E731
    assert ex.check_packing(no_separator, small_tokenizer) is False


def test_prompt_mask_checker(capsys):
    assert ex.check_prompt_mask(lambda ids, n: [-100] * n + ids[n:]) is True
    assert ex.check_prompt_mask(lambda ids, n: ids[:n] + [-100] * (len(ids) - n)) is False
    assert "instead of the prompt" in capsys.readouterr().out


def test_lora_parameters_checker():
    assert ex.check_lora_parameters(lambda shapes, r: sum(r * (a + b) for a, b in shapes)) is True
    assert ex.check_lora_parameters(lambda shapes, r: sum(r * a * b for a, b in shapes)) is False


def test_chat_format_checker():
    from course_utils.finetuning import add_chat_template
    from course_utils.models import train_bpe_tokenizer

    tokenizer = add_chat_template(train_bpe_tokenizer(["plain text"] * 10, vocab_size=270))
    assert ex.check_chat_format(lambda content, answer: f"<|user|>\n{content}\n<|assistant|>\n{answer}<|endoftext|>", tokenizer) is True
    assert ex.check_chat_format(lambda content, answer: f"{content}\n{answer}", tokenizer) is False


def test_lora_at_full_ft_settings_checker(capsys):
    import torch

    from course_utils.finetuning import add_chat_template, lora_model
    from course_utils.models import TinyGPTConfig, build_tiny_gpt, train_bpe_tokenizer

    tokenizer = add_chat_template(train_bpe_tokenizer(["Emma smiled. WAL mode."] * 10, vocab_size=300))
    eval_set = [{"id": "r1", "task": "source", "instruction": "Novel or documentation?", "input": "Emma smiled.", "output": "novel"}]
    config = TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=32, n_head=2, context_length=64)

    def untrained_lora():
        return lora_model(build_tiny_gpt(config, tokenizer), r=2, target_modules=("c_attn",))

    def nudged_lora():  # stands in for a trained adapter: B moved away from zero
        model = untrained_lora()
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if "lora_B" in name:
                    parameter.fill_(1e-3)
        return model

    assert ex.check_lora_at_full_ft_settings(lambda: build_tiny_gpt(config, tokenizer), tokenizer, eval_set, 0.2) is False
    assert "return the LoRA model" in capsys.readouterr().out
    assert ex.check_lora_at_full_ft_settings(untrained_lora, tokenizer, eval_set, 0.2) is False
    assert "still zero" in capsys.readouterr().out
    assert ex.check_lora_at_full_ft_settings(nudged_lora, tokenizer, eval_set, full_ft_score=0.5) is True
    assert ex.check_lora_at_full_ft_settings(nudged_lora, tokenizer, eval_set, full_ft_score=0.05) is False
    assert "lora_recipe" in capsys.readouterr().out

import pytest

from course_utils import models, prompting


def test_user_message_puts_the_system_prompt_first():
    assert prompting.user_message("hi", system="be brief") == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


def test_rag_prompt_numbers_sources_and_ends_with_the_question():
    prompt = prompting.rag_prompt("How many days?", ["Thirty days.", "Ten days in Japan."])
    assert "[1] Thirty days." in prompt and "[2] Ten days in Japan." in prompt
    assert prompt.rstrip().endswith("Question: How many days?")
    with pytest.raises(ValueError, match="at least one passage"):
        prompting.rag_prompt("q", [])


def test_chat_messages_need_a_chat_template():
    tokenizer = models.train_bpe_tokenizer(["plain text only"] * 10, vocab_size=270)
    with pytest.raises(ValueError, match="no chat template"):
        prompting.encode_prompt(tokenizer, prompting.user_message("hi"))


def test_greedy_generation_is_repeatable_and_answers(chat_model):
    model, tokenizer = chat_model
    messages = prompting.user_message("What is the capital of France? Answer in one word.")
    first = prompting.generate(model, tokenizer, messages, max_new_tokens=8)
    second = prompting.generate(model, tokenizer, messages, max_new_tokens=8)
    assert first.text == second.text
    assert "paris" in first.text.lower()
    assert 0 < first.new_tokens <= 8 and first.prompt_tokens > 10 and first.tokens_per_second > 0


def test_sampling_is_seeded(chat_model):
    model, tokenizer = chat_model
    runs = [prompting.generate(model, tokenizer, "Once upon a time", max_new_tokens=10, temperature=1.0, seed=3).text for _ in range(2)]
    assert runs[0] == runs[1]


def test_no_repeat_ngram_size_reaches_the_decoder(chat_model, monkeypatch):
    model, tokenizer = chat_model
    seen = {}
    original = model.generate

    def spy(**kwargs):
        seen.update(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(model, "generate", spy)
    prompting.generate(model, tokenizer, "Hello", max_new_tokens=3, no_repeat_ngram_size=3)
    assert seen["no_repeat_ngram_size"] == 3 and seen["do_sample"] is False

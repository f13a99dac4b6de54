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

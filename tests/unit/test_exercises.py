"""The safety net every checker runs in: no exception escapes, runaway loops stop, values are normalised.

Each checker's own solution and wrong answers are in test_exercise_adversaries.py.
"""

import threading

import numpy as np
import pytest
import torch

from course_utils import exercises as ex

RIGHT_CHOICES = {scenario: answer for scenario, (answer, _) in ex.APPROACH_SCENARIOS.items()}


def test_approach_checker_passes_the_guides_choices(capsys):
    assert ex.check_approach_choices(RIGHT_CHOICES) is True
    assert "[PASS]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answers,hint",
    [
        ({}, "exactly the scenarios"),
        ({s: "rag" for s in ex.APPROACH_SCENARIOS}, "differ from the course's guide (APPROACHES.md)"),
        ({s: "magic" for s in ex.APPROACH_SCENARIOS}, "use only these names"),
    ],
)
def test_approach_checker_rejects_wrong_answers_with_a_hint(answers, hint, capsys):
    assert ex.check_approach_choices(answers) is False
    out = capsys.readouterr().out
    assert "[NOT YET]" in out and hint in out


def test_no_learner_facing_text_cites_a_file_outside_the_repository():
    from pathlib import Path

    import re

    source = Path(ex.__file__).read_text(encoding="utf-8")
    assert not re.search(r"\.\./\w", source), "a relative path that leaves the repository"
    assert "ARTICLE.md" not in source and "the article" not in source


def test_an_unfinished_exercise_is_reported_not_raised(capsys):
    def unfinished(ids, n):
        raise NotImplementedError

    assert ex.check_prompt_mask(unfinished) is False
    assert "placeholder" in capsys.readouterr().out


def test_a_learners_exception_is_shown_in_the_hint(capsys):
    assert ex.check_prompt_mask(lambda ids, n: ids[n + 1000] + 1) is False
    assert "IndexError" in capsys.readouterr().out


def test_a_value_whose_comparison_raises_is_a_failed_check(capsys):
    class Hostile(dict):
        def __eq__(self, other):
            raise RuntimeError("cannot compare")

        __ne__ = __eq__
        __hash__ = None

    assert ex.check_parse_json_reply(lambda text, keys: Hostile(department="HR")) is False
    assert "[NOT YET]" in capsys.readouterr().out


def test_passing_something_that_is_not_a_function_is_a_hint(capsys):
    assert ex.check_replay_blocks(100) is False
    assert "pass your function itself" in capsys.readouterr().out


@pytest.fixture
def short_time_limit(monkeypatch):
    monkeypatch.setattr(ex, "LEARNER_TIME_LIMIT_S", 0.5)


def test_a_loop_that_never_ends_fails_with_a_hint(short_time_limit, capsys):
    def endless(n, f):
        while True:
            pass

    assert ex.check_replay_blocks(endless) is False
    assert "did not return within 0.5 s" in capsys.readouterr().out


def test_a_learners_broad_except_cannot_swallow_the_time_limit(short_time_limit, capsys):
    def stubborn(n, f):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001, S112 - the learner's code, not ours
                continue

    assert ex.check_replay_blocks(stubborn) is False
    assert "did not return within" in capsys.readouterr().out


def test_the_time_limit_also_works_off_the_main_thread(short_time_limit):
    stop = threading.Event()

    def endless(n, f):
        while not stop.is_set():
            pass

    results = []
    worker = threading.Thread(target=lambda: results.append(ex.check_replay_blocks(endless)))
    worker.start()
    worker.join(30)
    stop.set()  # ends the runaway learner thread the checker left behind
    assert results == [False]


def test_the_time_limit_restores_the_previous_alarm_handler(short_time_limit):
    import signal

    before = signal.getsignal(signal.SIGALRM)
    ex.check_replay_blocks(lambda n, f: round(n * f / (1 - f)))
    assert signal.getsignal(signal.SIGALRM) is before


@pytest.mark.parametrize("value,expected", [
    (np.float32(2.5), 2.5), (np.int64(3), 3.0), (torch.tensor(1.5), 1.5), (np.array(4.0), 4.0), (7, 7.0),
])
def test_numbers_are_normalised_before_comparing(value, expected):
    assert ex._as_float(value) == expected


@pytest.mark.parametrize("value", [torch.tensor([1.0, 2.0]), "3.0", None, [1.0], True, float("nan")])
def test_a_value_that_is_not_one_number_is_rejected_with_its_type(value):
    with pytest.raises(ex._NotYet, match="return a float|division by zero"):
        ex._as_float(value)


def test_an_int_is_required_where_the_exercise_asks_for_a_whole_number():
    assert ex._as_int(np.int64(5)) == 5 and ex._as_int(torch.tensor(5)) == 5
    with pytest.raises(ex._NotYet, match=r"got float \(round\(\) gives an int\)"):
        ex._as_int(100.0)


def test_arrays_and_tensors_count_as_lists_but_other_shapes_do_not():
    assert ex._as_list(np.array([1, 2]), int, "ids") == [1, 2]
    assert ex._as_list(torch.tensor([3, 4]), int, "ids") == [3, 4]
    with pytest.raises(ex._NotYet, match="of shape"):
        ex._as_list(np.zeros((2, 2)), int, "ids")
    with pytest.raises(ex._NotYet, match="one item is a dict"):
        ex._as_list([{"doc_id": "a"}], str, "doc ids")


def test_fresh_cases_are_the_same_on_every_run():
    assert ex._rrf_cases() == ex._rrf_cases()
    assert len(ex._rrf_cases()) > 6  # more than the visible ones

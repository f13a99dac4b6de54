import io

import pytest

from course_utils import progress
from course_utils.progress import Progress, ProgressLine


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeCell:
    """Stands in for a notebook cell's outputs: every line shown, each with the history of its text."""

    def __init__(self) -> None:
        self.lines: list[list[str]] = []

    def __call__(self, text: str):
        history = [text]
        self.lines.append(history)
        return history.append

    def final_texts(self) -> list[str]:
        return [history[-1] for history in self.lines]


def line(description="generating answers", show_after_s=0.0, update_every_s=0.5):
    cell, clock = FakeCell(), FakeClock()
    return ProgressLine(description, output=cell, clock=clock, update_every_s=update_every_s, show_after_s=show_after_s), cell, clock


def test_the_live_line_shows_count_elapsed_and_time_left():
    shared, cell, clock = line()
    with Progress("generating answers", 104, line=shared) as task:
        clock.now = 9.0
        task.update(64)
        assert cell.lines[0][-1] == "generating answers: 64/104 · 9 s elapsed · ~6 s left"  # 9 s x 40 left / 64 done = 5.6 s


def test_the_summary_replaces_the_live_line_when_the_task_ends():
    shared, cell, clock = line()
    with Progress("generating answers", 104, line=shared) as task:
        clock.now = 14.2
        task.update(104)
    assert len(cell.lines) == 1 and cell.final_texts() == ["generating answers: 104/104 in 14.2 s"]


def test_redraws_are_throttled_but_the_summary_always_shows():
    shared, cell, clock = line(update_every_s=0.5)
    with Progress("generating answers", 10, line=shared) as task:  # drawn at 0 s
        for now, done in ((0.1, 1), (0.2, 2), (0.4, 3)):
            clock.now = now
            task.update(done)
        assert len(cell.lines[0]) == 1
        clock.now = 0.6
        task.update(4)
        assert len(cell.lines[0]) == 2
        clock.now = 0.7
        task.update(10)
    assert len(cell.lines[0]) == 3 and cell.lines[0][-1] == "generating answers: 10/10 in 0.7 s"


def test_work_shorter_than_show_after_leaves_no_line():
    shared, cell, clock = line(show_after_s=2.0)
    with Progress("generating answers", 3, line=shared) as task:
        clock.now = 1.5
        task.update(3)
    assert cell.lines == []


def test_the_line_appears_once_the_work_has_taken_show_after_seconds():
    shared, cell, clock = line(show_after_s=2.0)
    with Progress("generating answers", 10, line=shared) as task:
        clock.now = 1.0
        task.update(2)
        assert cell.lines == []
        clock.now = 3.0
        task.update(6)
        assert cell.final_texts() == ["generating answers: 6/10 · 3 s elapsed · ~2 s left"]  # 3 s x 4 left / 6 done


def test_tasks_with_one_description_in_one_cell_share_one_line_and_its_totals():
    shared, cell, clock = line()
    for start in (0.0, 3.0):
        clock.now = start
        with Progress("generating answers", 10, line=shared) as task:
            clock.now = start + 3.0
            if start:
                task.update(5)
                assert cell.lines[0][-1] == "generating answers: 5/10 · 3 s elapsed · ~3 s left · 10 earlier in this cell"
            task.update(10)
    assert len(cell.lines) == 1 and cell.final_texts() == ["generating answers: 20 in 2 calls, 6.0 s"]


def test_an_interrupted_task_says_where_it_stopped():
    shared, cell, clock = line()
    with pytest.raises(KeyboardInterrupt), Progress("generating answers", 10, line=shared) as task:
        clock.now = 5.0
        task.update(3)
        raise KeyboardInterrupt
    assert cell.final_texts() == ["generating answers: stopped at 3/10 after 5.0 s"]


@pytest.mark.parametrize("seconds,decimals,text", [(9.4, 0, "9 s"), (14.24, 1, "14.2 s"), (125.0, 0, "2 min 05 s")])
def test_format_seconds_reads_like_a_person_would_say_it(seconds, decimals, text):
    assert progress.format_seconds(seconds, decimals) == text


def test_a_negative_total_is_refused():
    with pytest.raises(ValueError, match="zero or more"):
        Progress("x", -1, line=line()[0])


def test_outside_jupyter_progress_prints_nothing(capsys):
    assert not progress.in_jupyter_kernel()
    with Progress("generating answers", 3) as task:
        for _ in range(3):
            task.advance()
    assert task.line.output is None
    assert capsys.readouterr() == ("", "")


def test_in_a_kernel_each_cell_gets_its_own_line_per_description(monkeypatch):
    cell_number = [1]
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(progress, "_current_cell", lambda: cell_number[0])
    monkeypatch.setattr(progress, "_lines", {})
    first = progress.line_for("generating answers")
    assert progress.line_for("generating answers") is first
    assert progress.line_for("scoring answers") is not first
    cell_number[0] = 2
    assert progress.line_for("generating answers") is not first


def test_track_yields_every_item_and_counts_it(monkeypatch):
    shared, cell, _ = line(description="approaches")
    monkeypatch.setattr(progress, "line_for", lambda description: shared)
    assert list(progress.track(["a", "b", "c"], "approaches")) == ["a", "b", "c"]
    assert cell.final_texts() == ["approaches: 3/3 in 0.0 s"]


def test_the_training_callback_shows_step_loss_and_a_summary():
    from transformers import TrainerState

    shared, cell, clock = line(description="training test")
    callback = progress.training_progress("training test", line=shared)
    state = TrainerState(max_steps=10)
    callback.on_train_begin(None, state, None)
    state.global_step, clock.now = 4, 2.0
    callback.on_log(None, state, None, logs={"loss": 2.345})
    assert cell.lines[0][-1] == "training test: 4/10 steps · loss 2.35 · 2 s elapsed · ~3 s left"  # 2 s x 6 left / 4 done
    state.global_step, clock.now = 10, 5.0
    callback.on_train_end(None, state, None)
    assert cell.final_texts() == ["training test: 10/10 steps in 5.0 s · loss 2.35"]


def test_the_training_callback_ignores_logs_without_a_training_loss():
    from transformers import TrainerState

    shared, cell, clock = line(description="training test")
    callback = progress.training_progress("training test", line=shared)
    state = TrainerState(max_steps=10)
    callback.on_train_begin(None, state, None)
    callback.on_log(None, state, None, logs={"eval_loss": 3.0})
    state.global_step, clock.now = 1, 1.0
    callback.on_step_end(None, state, None)
    assert callback.loss is None and cell.lines[0][-1] == "training test: 1/10 steps · 1 s elapsed · ~9 s left"


def test_quiet_progress_bars_hides_bars_only_inside_the_block():
    import datasets
    from tqdm import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    datasets_bars_were_off = datasets.are_progress_bars_disabled()
    inside, after = io.StringIO(), io.StringIO()
    with progress.quiet_progress_bars():
        list(tqdm(range(3), file=inside))
        assert notebook_tqdm(range(3)).disable and datasets.are_progress_bars_disabled()
    list(tqdm(range(3), file=after))
    assert inside.getvalue() == "" and "3/3" in after.getvalue()
    assert datasets.are_progress_bars_disabled() == datasets_bars_were_off


def test_training_in_a_kernel_leaves_one_summary_line_and_no_tqdm_output(tmp_cache, monkeypatch, capsys):
    import torch

    from course_utils import models, training

    cell = FakeCell()
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(progress, "_current_cell", lambda: 1)
    monkeypatch.setattr(progress, "_lines", {})
    monkeypatch.setattr(progress, "jupyter_output", cell)
    monkeypatch.setattr(progress, "SHOW_AFTER_S", 0.0)
    torch.manual_seed(0)
    texts = ["the cat sat on the mat. " * 20]
    tokenizer = models.train_bpe_tokenizer(texts, vocab_size=300)
    model = models.build_tiny_gpt(models.TinyGPTConfig(vocab_size=len(tokenizer), n_layer=1, n_embd=16, n_head=2, context_length=8), tokenizer)
    blocks = training.pack_blocks(training.tokenize_documents(tokenizer, texts), 8)
    training.train_causal_lm(model, blocks, num_steps=10, run_name="test", per_device_train_batch_size=4, logging_steps=5)
    assert len(cell.lines) == 1
    assert cell.lines[0][-1].startswith("training test: 10/10 steps in ") and " · loss " in cell.lines[0][-1]
    out, err = capsys.readouterr()
    assert "%|" not in out + err and "it/s" not in out + err

"""Live progress for long notebook steps: one text line updated in place, and a one-line summary when the work ends.

Used by notebooks 01-07 through the functions that do their long work: training (`training.fit`,
`finetuning.trl_sft`, `embedder_finetuning.train_embedder` install `training_progress` instead of tqdm's bars) and
batched generation and scoring (`prompting.generate_batch`, `prompting.answer_log_probabilities`). `track` counts the
items of a loop written in a notebook cell.

In a Jupyter kernel the line is one output of the running cell, replaced through its display id, so the saved
notebook keeps only the summary ("generating answers: 104/104 in 14.2 s"). Every task with the same description in
one cell shares one line and adds to its totals, so a loop of short calls shows one line, not one per call; work
that ends within `SHOW_AFTER_S` shows nothing. Outside Jupyter (tests, scripts) nothing is shown at all.
`quiet_progress_bars` hides the bars libraries draw on their own (dataset maps, sentence-transformers' encoding).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

SHOW_AFTER_S = 2.0  # work shorter than this leaves no line in the cell
UPDATE_EVERY_S = 0.5  # at most two redraws a second: each is a message to the notebook front end

Item = TypeVar("Item")
Updater = Callable[[str], None]
Output = Callable[[str], Updater]  # shows a new line, returns the function that replaces its text


def in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, VS Code, nbclient), where a cell's output can be updated."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def jupyter_output(text: str) -> Updater:
    """Display `text` as a new output of the running cell; return a function that replaces that output's text."""
    from IPython.display import display

    handle = display({"text/plain": text}, raw=True, display_id=True)
    return lambda new_text: handle.update({"text/plain": new_text}, raw=True)


def format_seconds(seconds: float, decimals: int = 0) -> str:
    """Seconds for a person: "9 s", "14.2 s" (with decimals=1), "2 min 05 s"."""
    if seconds < 60:
        return f"{seconds:.{decimals}f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _count(done: int, total: int, unit: str) -> str:
    return f"{done}/{total}" + (f" {unit}" if unit else "")


class ProgressLine:
    """One line of a cell's output, shared by every task with the same description in that cell, and their totals.

    `output` shows the line (None: show nothing); `clock` returns seconds. Both are injectable for tests.
    """

    def __init__(self, description: str, output: Output | None = None, clock: Callable[[], float] = time.monotonic,
                 update_every_s: float = UPDATE_EVERY_S, show_after_s: float = SHOW_AFTER_S) -> None:
        self.description = description
        self.output, self.clock = output, clock
        self.update_every_s, self.show_after_s = update_every_s, show_after_s
        self.tasks_done, self.items_done, self.seconds_done = 0, 0, 0.0  # totals of the tasks that finished
        self._replace: Updater | None = None
        self._last_shown = 0.0

    def live_text(self, task: Progress) -> str:
        """The line while `task` runs: "desc: 64/104 · note · 9 s elapsed · ~6 s left · N earlier in this cell"."""
        elapsed = self.clock() - task.started
        parts = [f"{self.description}: {_count(task.done, task.total, task.unit)}"]
        if task.note:
            parts.append(task.note)
        parts.append(f"{format_seconds(elapsed)} elapsed")
        if 0 < task.done < task.total:
            parts.append(f"~{format_seconds(elapsed * (task.total - task.done) / task.done)} left")
        if self.tasks_done:
            parts.append(f"{self.items_done} earlier in this cell")
        return " · ".join(parts)

    def summary_text(self, task: Progress) -> str:
        """The line when the cell's tasks so far have ended: one task's count and time, or the totals of several."""
        if self.tasks_done == 1:
            text = f"{self.description}: {_count(task.done, task.total, task.unit)} in {format_seconds(self.seconds_done, 1)}"
        else:
            unit = f" {task.unit}" if task.unit else ""
            text = f"{self.description}: {self.items_done}{unit} in {self.tasks_done} calls, {format_seconds(self.seconds_done, 1)}"
        return f"{text} · {task.note}" if task.note else text

    def refresh(self, task: Progress, final: bool = False) -> None:
        """Redraw the line for `task`, at most every `update_every_s` unless final; nothing before `show_after_s` of work."""
        if self.output is None:
            return
        now = self.clock()
        if self._replace is None:
            busy_seconds = self.seconds_done + (0.0 if task.finished else now - task.started)  # finished: already in seconds_done
            if busy_seconds < self.show_after_s:
                return
            self._replace, self._last_shown = self.output(self._text(task, final)), now
        elif final or now - self._last_shown >= self.update_every_s:
            self._replace(self._text(task, final))
            self._last_shown = now

    def _text(self, task: Progress, final: bool) -> str:
        if not final:
            return self.live_text(task)
        if task.finished:
            return self.summary_text(task)
        seconds = format_seconds(self.clock() - task.started, 1)
        return f"{self.description}: stopped at {_count(task.done, task.total, task.unit)} after {seconds}"

    def add(self, task: Progress) -> None:
        """Add a finished task to the line's totals."""
        self.tasks_done += 1
        self.items_done += task.done
        self.seconds_done += self.clock() - task.started


_lines: dict[tuple[Any, str], ProgressLine] = {}  # the running cell's lines, by description


def _current_cell() -> Any:
    from IPython import get_ipython

    return getattr(get_ipython(), "execution_count", None)  # constant while one cell runs


def line_for(description: str) -> ProgressLine:
    """The running cell's line for `description` (new in a new cell); outside Jupyter, a line that shows nothing."""
    if not in_jupyter_kernel():
        return ProgressLine(description)
    cell = _current_cell()
    if any(key[0] != cell for key in _lines):
        _lines.clear()
    if (cell, description) not in _lines:
        _lines[cell, description] = ProgressLine(description, output=jupyter_output, show_after_s=SHOW_AFTER_S)
    return _lines[cell, description]


class Progress:
    """Count one task's items on its cell's line: use as `with Progress("generating answers", n) as task: ... task.advance()`."""

    def __init__(self, description: str, total: int, unit: str = "", line: ProgressLine | None = None) -> None:
        if total < 0:
            raise ValueError(f"total must be zero or more, got {total}.")
        self.line = line if line is not None else line_for(description)
        self.total, self.unit = total, unit
        self.done, self.note, self.finished = 0, "", False
        self.started = self.line.clock()

    def __enter__(self) -> Progress:
        self.line.refresh(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: object) -> None:
        if exc_type is None:
            self.finish()
        else:  # e.g. the learner interrupted the kernel: say where it stopped
            self.line.refresh(self, final=True)

    def update(self, done: int, note: str | None = None) -> None:
        """Set how many items are done (and the note shown after the count, e.g. the latest loss)."""
        self.done = done
        if note is not None:
            self.note = note
        self.line.refresh(self)

    def advance(self, n: int = 1, note: str | None = None) -> None:
        """Count `n` more items as done."""
        self.update(self.done + n, note)

    def finish(self) -> None:
        """End the task: add it to the line's totals and show the summary in place of the live line."""
        if not self.finished:
            self.finished = True
            self.line.add(self)
            self.line.refresh(self, final=True)


def track(items: Iterable[Item], description: str, unit: str = "") -> Iterator[Item]:
    """Yield `items`, counting each on the cell's progress line: `for approach in track(approaches, "approaches"): ...`."""
    items = list(items)
    with Progress(description, len(items), unit) as task:
        for item in items:
            yield item
            task.advance()


def training_progress(description: str, line: ProgressLine | None = None) -> Any:
    """A `transformers.TrainerCallback` that shows "step x/N · loss · elapsed · ~left" on the cell's line, then a summary.

    The course's training functions install it with `disable_tqdm=True`, in place of tqdm's bar and the notebook table.
    """
    from transformers import TrainerCallback

    class TrainingProgress(TrainerCallback):
        """Steps done, the latest logged training loss, elapsed and remaining time, on one line."""

        def __init__(self) -> None:
            self.task: Progress | None = None
            self.loss: float | None = None

        def _note(self) -> str:
            return f"loss {self.loss:.3g}" if self.loss is not None else ""

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Start counting steps (on the main process only: others would draw the same line again)."""
            if state.is_world_process_zero:
                self.task = Progress(description, state.max_steps, unit="steps", line=line)
                self.task.update(state.global_step)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Count the step."""
            if self.task is not None:
                self.task.update(state.global_step, self._note())

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
            """Keep the latest training loss for the line."""
            if self.task is not None and logs and "loss" in logs:
                self.loss = float(logs["loss"])
                self.task.update(state.global_step, self._note())

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            """Replace the line with its summary: steps, seconds, last loss."""
            if self.task is not None:
                self.task.update(state.global_step, self._note())
                self.task.finish()

    return TrainingProgress()


@contextmanager
def quiet_progress_bars() -> Iterator[None]:
    """Hide the progress bars libraries draw by themselves while the block runs (restored after it).

    `datasets` has a switch for its `map` bars (TRL's "Tokenizing train dataset" ...). sentence-transformers draws
    some bars with no switch (`mine_hard_negatives` encodes with `show_progress_bar=True`; the trainer's "Computing
    widget examples"), so for the block every tqdm bar is created disabled. In a notebook each of these bars would
    stay in the saved output as "0%|" text or a stderr line.
    """
    from unittest import mock

    import datasets
    from tqdm import std

    datasets_bars_were_on = not datasets.are_progress_bars_disabled()
    create_bar = std.tqdm.__init__

    def create_disabled_bar(self: Any, *args: Any, **kwargs: Any) -> None:
        """Create the bar as asked, but disabled."""
        create_bar(self, *args, **{**kwargs, "disable": True})

    datasets.disable_progress_bars()
    try:
        with mock.patch.object(std.tqdm, "__init__", create_disabled_bar):
            yield
    finally:
        if datasets_bars_were_on:
            datasets.enable_progress_bars()

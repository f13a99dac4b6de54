"""What was tried for the answer-from-sources adapter: each recipe trained here, scored on VALIDATION questions only.

For every recipe: the seconds its training takes on this machine, then on the handbook's validation single-answer
questions: accuracy with the answer sentence given, end-to-end accuracy (top document retrieved with the asker's
rights, its two best sentences read by the adapter, as notebook 04 does) and false abstention there, and abstention on
the validation out-of-corpus handbook questions. Test questions are never read here: notebooks 03 and 04 report the
committed recipe on them. Targets (issue "Generation that can do the task"): 0.80 / 0.60 / <= 0.10 / 0.80.
Run: `python benchmarks/bench_answer_adapter.py > benchmarks/ANSWER_ADAPTER.md` (prints markdown; minutes per recipe).
"""

from __future__ import annotations

import dataclasses
import datetime
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ci_cell  # benchmarks/_common.py
from course_utils import answering, data, rag
from course_utils.access import UNFILTERED
from course_utils.pretrained import load_chat_model, load_embedder

COMMITTED = answering.ANSWER_ADAPTER
RECIPES = {  # name: (recipe, why it was tried)
    "committed": (COMMITTED, "the recipe `make setup` prepares"),
    "twice the steps": (dataclasses.replace(COMMITTED, num_steps=2 * COMMITTED.num_steps), "its loss was still falling at the end"),
    "half the abstention examples": (dataclasses.replace(COMMITTED, abstain_fraction=COMMITTED.abstain_fraction / 2), "most misses are false abstentions"),
}


def validation_inputs(embedder):
    """(sentence-given pairs, end-to-end questions with their two best sentences, out-of-corpus questions with passages)."""
    handbook = data.load_handbook(UNFILTERED)
    index = rag.build_corpus_index(embedder, handbook, rag.HANDBOOK_INDEX)
    questions = [q for q in data.load_handbook_questions("validation") if q["type"] == "single"]
    end_to_end = [(q, rag.rag_context(embedder, index, handbook, q["question"], q["asker_visibility"]).passages) for q in questions]
    outside = [(q, rag.rag_context(embedder, index, handbook, q["question"], "all").passages) for q in data.load_out_of_corpus_questions("handbook", "validation")]
    return answering.sentence_given_set(("validation",)), end_to_end, outside


def score_recipe(model, tokenizer, inputs, budget: int) -> dict[str, list[float]]:
    """Per-question scores of one adapted model on the three validation sets."""
    given, end_to_end, outside = inputs
    read = lambda pairs: answering.read_replies(model, tokenizer, [q["question"] for q, _ in pairs], [p if isinstance(p, list) else [p] for _, p in pairs], budget)
    given_replies, e2e_replies, outside_replies = read(given), read(end_to_end), read(outside)
    return {
        "given": [answering.reply_score(r, q["answer"]) for r, (q, _) in zip(given_replies, given)],
        "e2e": [answering.reply_score(r, q["answer"]) for r, (q, _) in zip(e2e_replies, end_to_end)],
        "false_abstention": [float(answering.is_abstention(r)) for r in e2e_replies],
        "abstention": [float(answering.is_abstention(r)) for r in outside_replies],
    }


def main() -> None:
    """Train each recipe, score it on validation, print the markdown report."""
    embedder = load_embedder()
    inputs = validation_inputs(embedder)
    _, tokenizer = load_chat_model(device="cpu")
    budget = answering.reply_token_budget(tokenizer, [q["answer"] for q, _ in inputs[0]])
    rows, started_at = [], time.time()
    for name, (recipe, why) in RECIPES.items():
        examples = answering.reader_examples(embedder, recipe)
        model, tokenizer = load_chat_model(device="cpu")
        lora, history = answering.train_answer_adapter(model, tokenizer, examples, recipe, disable_tqdm=True)
        scores = score_recipe(lora.merge_and_unload().eval(), tokenizer, inputs, budget)
        rows.append((name, why, recipe, len(examples), history.seconds, history.train_loss[-1] if history.train_loss else float("nan"), scores))
        print(f"{name}: {history.seconds:.0f} s, " + ", ".join(f"{k} {ci_cell(v)}" for k, v in scores.items()), file=sys.stderr, flush=True)
    when = datetime.datetime.fromtimestamp(started_at, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n = {key: len(values) for key, values in rows[0][-1].items()}
    print("# Answer-from-sources adapter: what was tried\n")
    print(f"`benchmarks/bench_answer_adapter.py`, {when}, {platform.processor() or platform.machine()}, 2 cores. Each recipe is trained here "
          "from SmolLM2-135M-Instruct on the training splits (`answering.reader_examples`), merged, then scored greedily on the "
          "handbook's VALIDATION questions only (notebooks 03 and 04 report the committed recipe on the test questions too). "
          "95% CIs in brackets.\n")
    print(f"| recipe | why tried | steps | abstention share | examples | training s | last loss | sentence given (n={n['given']}) | "
          f"end to end (n={n['e2e']}) | false abstention (n={n['false_abstention']}) | out-of-corpus abstention (n={n['abstention']}) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, why, recipe, n_examples, seconds, last_loss, scores in rows:
        print(f"| {name} | {why} | {recipe.num_steps} | {recipe.abstain_fraction:.2f} | {n_examples} | {seconds:.0f} | {last_loss:.3f} | "
              f"{ci_cell(scores['given'])} | {ci_cell(scores['e2e'])} | {ci_cell(scores['false_abstention'])} | {ci_cell(scores['abstention'])} |")
    print("\nTargets: sentence given >= 0.80, end to end >= 0.60, false abstention <= 0.10, out-of-corpus abstention >= 0.80.")


if __name__ == "__main__":
    main()

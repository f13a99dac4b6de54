"""The claims ledger: every claim a notebook records carries an effect, a 95% CI, n and a computed verdict.

The verdicts asserted here are the ones the committed runs measured and the lessons' wording relies on; a library
upgrade or a code change that flips one fails CI, and the lesson's text has to be re-read against the new verdict.
"""

import pytest

from course_utils.stats import DIRECTIONS

NOTEBOOKS = ("02_continued_pretraining", "03_instruction_finetuning", "04_rag", "05_embedding_finetuning",
             "06_prompt_engineering", "07_choosing_and_combining")
VERDICTS = ("supported", "contradicted")

# (notebook, claim key) -> the verdict the committed run measured, for the claims whose wording in the lesson is fixed
EXPECTED = {
    ("02_continued_pretraining", "cpt_lowers_domain_loss"): "supported",
    ("02_continued_pretraining", "cpt_raises_general_loss"): "supported",
}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_recorded_claim_has_an_interval_n_and_a_verdict_from_it(notebook, notebook_claims):
    claims = notebook_claims(notebook)
    assert claims, f"{notebook} records no claim"
    for key, claim in claims.items():
        assert claim["low"] <= claim["effect"] <= claim["high"], key
        assert claim["n"] >= 3 and claim["expected"] in DIRECTIONS, key
        assert claim["verdict"] in VERDICTS or claim["verdict"] == f"not measurable at n = {claim['n']}", key
        if claim["expected"] == "higher" and claim["verdict"] == "supported":
            assert claim["low"] > claim["threshold"], key
        if claim["expected"] == "lower" and claim["verdict"] == "supported":
            assert claim["high"] < claim["threshold"], key


@pytest.mark.parametrize(("notebook", "key"), sorted(EXPECTED))
def test_claims_keep_their_measured_verdicts(notebook, key, notebook_claims):
    assert notebook_claims(notebook)[key]["verdict"] == EXPECTED[(notebook, key)]


def test_the_ledger_has_at_least_eighteen_claims(notebook_claims):
    assert sum(len(notebook_claims(notebook)) for notebook in NOTEBOOKS) >= 18

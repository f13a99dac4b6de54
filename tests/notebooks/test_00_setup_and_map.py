"""Key numbers of notebooks/00_setup_and_map.ipynb, asserted within ranges."""

import pytest

NOTEBOOK = "00_setup_and_map"


@pytest.fixture(scope="module")
def numbers(notebook_results):
    return notebook_results(NOTEBOOK)


def test_every_dataset_loads(numbers):
    assert numbers["n_datasets_loaded"] == 6


def test_embedder_separates_related_from_unrelated_sentences(numbers):
    # all-MiniLM-L6-v2 scores paraphrases around 0.5-0.9 and unrelated pairs near 0; a gap under 0.2 means a broken model
    assert 0.4 < numbers["cosine_related"] < 0.95
    assert numbers["cosine_related"] - numbers["cosine_unrelated"] > 0.2


def test_base_embedder_finds_most_but_not_all_handbook_answers(numbers):
    # Most questions name their topic, so top-5 finds the gold document; near-identical variants keep top-1 well below 1.
    assert numbers["handbook_recall_at_5"] >= 0.6
    assert 0.2 <= numbers["handbook_recall_at_1"] < 0.95
    assert numbers["handbook_recall_at_1"] <= numbers["handbook_recall_at_5"]


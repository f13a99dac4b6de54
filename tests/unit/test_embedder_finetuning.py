import numpy as np
import pytest

from course_utils import embedder_finetuning as ef
from course_utils import exercises as ex
from course_utils.data import UNFILTERED, load_handbook
from course_utils.models import weights_digest


def _section(doc_id, title, section, url, source="sqlite"):
    return {"doc_id": doc_id, "title": title, "section": section, "url": url, "source": source, "text": f"text of {doc_id}"}


def test_heading_queries_join_the_parts_of_a_section_and_skip_the_faq_page():
    records = [
        _section("a-01", "Shell", "Output (part 1)", "shell.html"),
        _section("a-02", "Shell", "Output (part 2)", "shell.html"),
        _section("a-03", "Shell", "Shell", "shell.html"),
        _section("f-01", "How do I vacuum?", "SQLite Frequently Asked Questions", "faq.html"),
    ]
    queries = {q["query"]: q["gold_doc_ids"] for q in ef.heading_queries(records)}
    assert queries == {"Shell: Output": ["a-01", "a-02"], "Shell": ["a-03"]}


def test_split_by_page_never_puts_one_page_on_both_sides():
    queries = [{"qid": str(i), "query": f"q{i}", "gold_doc_ids": [str(i)], "page": f"p{i % 7}"} for i in range(40)]
    train, held_out = ef.split_by_page(queries, held_out_fraction=0.3, seed=0)
    assert len(train) + len(held_out) == 40 and held_out
    assert not {q["page"] for q in train} & {q["page"] for q in held_out}
    with pytest.raises(ValueError):
        ef.split_by_page(queries, held_out_fraction=1.5)


def test_check_disjoint_rejects_a_held_out_query_that_differs_only_in_case_and_spacing():
    train = [{"qid": "t1", "query": "What is WAL mode?"}]
    with pytest.raises(ef.LeakageError, match="h1"):
        ef.check_disjoint(train, [{"qid": "h1", "query": "what is  WAL mode? "}])
    with pytest.raises(ef.LeakageError):
        ef.check_disjoint(train, [{"qid": "t1", "query": "another text, same id"}])
    assert ef.check_disjoint(train, [{"qid": "h2", "query": "What is a WAL file?"}]) == 1


def test_notebook_queries_keep_every_held_out_query_out_of_training():
    train, held_out = ef.default_queries()
    train_texts = {ef.normalize_query(q["query"]) for q in train}
    for name, queries in held_out.items():
        assert queries, name
        assert not train_texts & {ef.normalize_query(q["query"]) for q in queries}, name
    held_out_pages = {q["page"] for q in held_out["headings"]}
    assert not held_out_pages & {q["page"] for q in train if q["source"] == "heading"}
    assert {q["source"] for q in train} == {"faq", "heading", "handbook (SYNTHETIC)"}


def test_training_pairs_make_one_pair_per_gold_document_and_refuse_unknown_ids():
    documents = [{"doc_id": "d1", "text": "one"}, {"doc_id": "d2", "text": "two"}]
    pairs = ef.training_pairs([{"query": "q", "gold_doc_ids": ["d1", "d2"]}], documents)
    assert pairs == [{"anchor": "q", "positive": "one"}, {"anchor": "q", "positive": "two"}]
    with pytest.raises(KeyError, match="d9"):
        ef.training_pairs([{"query": "q", "gold_doc_ids": ["d9"]}], documents)


def test_sample_queries_is_seeded_and_keeps_everything_when_asked_for_more():
    queries = [{"qid": str(i)} for i in range(10)]
    assert ef.sample_queries(queries, 4, seed=1) == ef.sample_queries(queries, 4, seed=1)
    assert ef.sample_queries(queries, 4, seed=1) != ef.sample_queries(queries, 4, seed=2)
    assert ef.sample_queries(queries, 99) == queries


def test_in_batch_loss_matches_sentence_transformers_mnrl(embedder):
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    rng = np.random.default_rng(0)
    queries, docs = rng.standard_normal((4, 16)), rng.standard_normal((8, 16))  # 4 positives + 4 hard negatives
    loss = MultipleNegativesRankingLoss(embedder, scale=20.0)
    expected = loss.compute_loss_from_embeddings([torch.tensor(queries), torch.tensor(docs[:4]), torch.tensor(docs[4:])], None)
    assert ef.in_batch_negatives_loss(queries, docs, scale=20.0) == pytest.approx(float(expected), abs=1e-6)
    assert ef.in_batch_negatives_loss(np.eye(3), np.eye(3)) < 1e-6  # each query is its own positive, far from the rest


def test_project_2d_keeps_the_directions_of_largest_spread():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 4)) * [10.0, 3.0, 0.1, 0.1]
    points = ef.project_2d(vectors)
    assert points.shape == (50, 2)
    assert points[:, 0].var() > points[:, 1].var() > 1.0
    with pytest.raises(ValueError):
        ef.project_2d(np.ones(3))


def test_within_cluster_cosine_averages_only_pairs_inside_a_cluster():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert ef.within_cluster_cosine(vectors, ["a", "a", "b"]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ef.within_cluster_cosine(vectors, ["a", "b", "c"])


def test_weights_digest_changes_when_the_weights_change():
    import torch

    layer = torch.nn.Linear(3, 2)
    before = weights_digest(layer)
    assert weights_digest(layer) == before
    with torch.no_grad():
        layer.weight[0, 0] += 1e-3
    assert weights_digest(layer) != before


def test_retrieval_scores_agree_with_the_course_metrics(embedder):
    from course_utils.evaluation import mean_retrieval_metrics
    from course_utils.retrieval import build_vector_index, ranked_ids, search_many

    documents = load_handbook(UNFILTERED)[:30]
    queries = [{"qid": d["doc_id"], "query": d["title"], "gold_doc_ids": [d["doc_id"]]} for d in documents]
    scores = ef.retrieval_scores(ef.ir_evaluator(queries, documents), embedder)
    index = build_vector_index(embedder, [d["doc_id"] for d in documents], [d["text"] for d in documents])
    rankings = [ranked_ids(hits) for hits in search_many(index, embedder, [q["query"] for q in queries], k=10, allowed_ids=UNFILTERED)]
    ours = mean_retrieval_metrics(rankings, [q["gold_doc_ids"] for q in queries], ks=(1, 5))
    assert scores["recall@1"] == pytest.approx(ours["recall@1"]) and scores["recall@5"] == pytest.approx(ours["recall@5"])
    assert scores["MRR@10"] == pytest.approx(ours["MRR"], abs=1e-6) and scores["nDCG@10"] == pytest.approx(ours["nDCG@10"], abs=1e-6)
    with pytest.raises(KeyError):
        ef.ir_evaluator([{"qid": "q", "query": "x", "gold_doc_ids": ["missing"]}], documents)


def test_bm25_scores_find_a_document_by_its_own_words():
    documents = load_handbook(UNFILTERED)[:20]
    queries = [{"qid": d["doc_id"], "query": d["text"][:120], "gold_doc_ids": [d["doc_id"]]} for d in documents]
    scores = ef.bm25_scores(queries, documents)
    assert set(scores) == set(ef.METRICS)
    assert scores["recall@5"] > 0.8


def test_a_trained_embedder_gets_a_new_name_and_the_old_index_refuses_it(tmp_cache, monkeypatch):
    from course_utils.pretrained import load_embedder
    from course_utils.retrieval import EmbedderMismatchError, build_vector_index, search

    handbook = load_handbook(UNFILTERED)[:8]
    model = load_embedder(device="cpu")
    base_name = model.course_name
    old_index = build_vector_index(model, [d["doc_id"] for d in handbook], [d["text"] for d in handbook])
    pairs = [{"anchor": d["title"], "positive": d["text"]} for d in handbook]
    queries = [{"qid": d["doc_id"], "query": d["title"], "gold_doc_ids": [d["doc_id"]]} for d in handbook]
    recipe = ef.EmbedderRecipe(batch_size=4, train_max_seq_length=32, max_seq_length=32)
    history, curve = ef.train_embedder(model, ef.pairs_dataset(pairs), recipe, run_name="test_05", evaluator=ef.ir_evaluator(queries, handbook), eval_steps=(1,))
    assert history.seconds > 0 and len(history.train_loss) == 2
    assert [point.pairs for point in curve] == [4, 8]  # evaluated after step 1 and after the last step
    assert 0 < curve[0].seconds < curve[1].seconds and set(curve[1].scores) == set(ef.METRICS)
    assert model.course_name.startswith(f"{base_name}-ft-") and model.course_name != base_name
    with pytest.raises(EmbedderMismatchError, match="rebuild the index"):
        search(old_index, model, "vacation days", k=3, allowed_ids=UNFILTERED)

    path = ef.save_finetuned_embedder(model)
    assert (path / ef.NAME_FILE).exists()
    monkeypatch.setattr(ef, "finetune_embedder", lambda *a, **k: pytest.fail("a cached model must not be retrained"))
    loaded = ef.ensure_finetuned_embedder(device="cpu")
    assert loaded.course_name == model.course_name
    vectors = loaded.encode(["vacation days"], normalize_embeddings=True)
    assert np.allclose(vectors, model.encode(["vacation days"], normalize_embeddings=True), atol=1e-5)


def test_evaluation_sets_search_only_the_held_out_pages_for_headings():
    _, held_out = ef.default_queries()
    sets = ef.evaluation_sets(held_out)
    assert list(sets) == ["SQLite headings", "FAQ questions", "handbook (SYNTHETIC)"]
    queries, documents = sets["SQLite headings"]
    assert {d["url"] for d in documents} == {q["page"] for q in queries}
    for queries, documents in sets.values():  # every gold document is searchable
        assert {g for q in queries for g in q["gold_doc_ids"]} <= {d["doc_id"] for d in documents}


def test_corpus_vectors_reads_rows_of_the_cached_corpus(embedder, tmp_cache):
    from course_utils.rag import HANDBOOK_INDEX
    from course_utils.retrieval import cached_embeddings

    handbook = load_handbook(UNFILTERED)
    full = ef.corpus_vectors(embedder, handbook, "unused")
    assert np.allclose(full, cached_embeddings(embedder, [d["text"] for d in handbook], HANDBOOK_INDEX))
    subset = ef.corpus_vectors(embedder, handbook[5:8], "unused")
    assert np.allclose(subset, full[5:8])


def test_load_finetuned_embedder_names_the_notebook_when_missing(tmp_cache):
    with pytest.raises(FileNotFoundError, match="05_embedding_finetuning"):
        ef.load_finetuned_embedder()


# --- the exercises' checkers ---


def test_leak_checker_accepts_a_right_answer_and_rejects_an_exact_match_only_answer(capsys):
    def right(train, held_out):
        seen = {" ".join(q["query"].lower().split()) for q in train}
        return [q["qid"] for q in held_out if " ".join(q["query"].lower().split()) in seen]

    def exact_only(train, held_out):
        seen = {q["query"] for q in train}
        return [q["qid"] for q in held_out if q["query"] in seen]

    assert ex.check_leaked_queries(right) is True
    assert ex.check_leaked_queries(exact_only) is False
    assert "white space" in capsys.readouterr().out


def test_in_batch_loss_checker_rejects_a_loss_without_normalisation(capsys):
    def right(queries, docs, scale=20.0):
        return ef.in_batch_negatives_loss(queries, docs, scale)

    def unnormalised(queries, docs, scale=20.0):
        logits = scale * np.asarray(queries) @ np.asarray(docs).T
        log_z = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
        return float(np.mean(log_z - np.diag(logits[:, : len(queries)])))

    assert ex.check_in_batch_loss(right) is True
    assert ex.check_in_batch_loss(unnormalised) is False
    assert "normalise" in capsys.readouterr().out


def test_projection_checker_accepts_flipped_axes_and_rejects_uncentred_vectors():
    def flipped(vectors):
        return -ef.project_2d(vectors)

    def uncentred(vectors):
        _, _, components = np.linalg.svd(np.asarray(vectors), full_matrices=False)
        return np.asarray(vectors) @ components[:2].T

    assert ex.check_project_2d(flipped) is True
    assert ex.check_project_2d(uncentred) is False
    assert ex.check_project_2d(lambda v: (_ for _ in ()).throw(NotImplementedError)) is False


def test_centre_by_cluster_leaves_only_the_differences_within_each_cluster():
    vectors = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
    centred = ef.centre_by_cluster(vectors, ["a", "a", "b"])
    assert np.allclose(centred, [[-1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError):
        ef.centre_by_cluster(vectors, ["a"])


def test_evaluating_during_training_does_not_change_the_trained_model(tmp_cache):
    handbook = load_handbook(UNFILTERED)[:8]
    pairs = ef.pairs_dataset([{"anchor": d["title"], "positive": d["text"]} for d in handbook])
    queries = [{"qid": d["doc_id"], "query": d["title"], "gold_doc_ids": [d["doc_id"]]} for d in handbook]
    recipe = ef.EmbedderRecipe(batch_size=4, train_max_seq_length=32, max_seq_length=32)
    names = []
    for evaluator in (None, ef.ir_evaluator(queries, handbook)):
        model = ef.fresh_embedder(recipe, device="cpu")
        ef.train_embedder(model, pairs, recipe, run_name="test_05_eval", evaluator=evaluator, eval_steps=(1,))
        names.append(model.course_name)  # the name carries a digest of the weights
    assert names[0] == names[1]


def test_mean_cosine_averages_the_cosine_of_each_document_with_its_own_new_vector():
    old = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert ef.mean_cosine(old, old * 3) == pytest.approx(1.0)  # same directions: the embedder did not move
    assert ef.mean_cosine(old, np.array([[1.0, 0.0], [0.0, -1.0]])) == pytest.approx(0.0)  # (1 + -1) / 2
    assert ef.mean_cosine(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]])) == pytest.approx(1 / np.sqrt(2))
    with pytest.raises(ValueError, match="same shape"):
        ef.mean_cosine(old, old[:1])
    with pytest.raises(ValueError, match="zero vector"):
        ef.mean_cosine(old, np.array([[1.0, 0.0], [0.0, 0.0]]))


def test_a_stale_index_scores_the_queries_against_the_old_vectors(embedder):
    documents = [{"doc_id": f"d{i}", "text": text} for i, text in enumerate(("How to reset a VPN password", "Vacation days in France", "Coffee machine cleaning"))]
    queries = [{"qid": f"q{i}", "query": d["text"], "gold_doc_ids": [d["doc_id"]]} for i, d in enumerate(documents)]
    from course_utils.retrieval import embed_texts

    own = embed_texts(embedder, [d["text"] for d in documents])
    fresh_index = ef.stale_and_fresh_hits(embedder, queries, documents, own, ks=(1,))
    assert fresh_index["stale@1"] == fresh_index["fresh@1"] == [1.0, 1.0, 1.0]
    assert fresh_index["mean_cosine"] == pytest.approx(1.0, abs=1e-5)
    shuffled = ef.stale_and_fresh_hits(embedder, queries, documents, np.roll(own, 1, axis=0), ks=(1,))  # row i holds another document's vector
    assert shuffled["stale@1"] == [0.0, 0.0, 0.0] and shuffled["fresh@1"] == [1.0, 1.0, 1.0]
    assert shuffled["mean_cosine"] < 0.9


def test_a_snapshot_after_one_epoch_of_a_longer_run_is_the_one_epoch_model(tmp_cache):
    import dataclasses

    handbook = load_handbook(UNFILTERED)[:8]
    pairs = ef.pairs_dataset([{"anchor": d["title"], "positive": d["text"]} for d in handbook])
    recipe = ef.EmbedderRecipe(batch_size=4, train_max_seq_length=32, max_seq_length=32)  # 2 steps per epoch
    short = ef.fresh_embedder(recipe, device="cpu")
    ef.train_embedder(short, pairs, recipe, run_name="test_05_one_epoch")
    snapshots = []
    ef.train_embedder(ef.fresh_embedder(recipe, device="cpu"), pairs, dataclasses.replace(recipe, num_epochs=3), run_name="test_05_three_epochs",
                      callbacks=[ef.epoch_snapshots((1, 3), snapshots)])
    assert [(s.epochs, s.step) for s in snapshots] == [(1, 2), (3, 6)]
    one_epoch = short.state_dict()
    assert all(np.allclose(snapshots[0].state[name].numpy(), one_epoch[name].numpy(), atol=1e-6) for name in one_epoch)
    assert not all(np.allclose(snapshots[1].state[name].numpy(), one_epoch[name].numpy(), atol=1e-6) for name in one_epoch)
    with pytest.raises(ValueError, match="at least 1"):
        ef.epoch_snapshots((0, 2), [])


def test_ensure_drift_sweep_runs_the_sweep_once_and_names_the_file_by_recipe(tmp_cache, monkeypatch):
    calls = []
    monkeypatch.setattr(ef, "drift_sweep", lambda epochs, recipe: calls.append(tuple(epochs)) or {"epochs": list(epochs)})
    assert ef.ensure_drift_sweep((1, 2)) == {"epochs": [1, 2]}
    assert ef.ensure_drift_sweep((1, 2)) == {"epochs": [1, 2]}  # from the cache
    assert calls == [(1, 2)]
    assert ef.drift_sweep_path((1, 2)) != ef.drift_sweep_path((1, 3))
    assert ef.drift_sweep_path((1, 2)) != ef.drift_sweep_path((1, 2), ef.EmbedderRecipe(lr=1e-4))

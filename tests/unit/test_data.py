import json

import pytest

from course_utils import data
from course_utils.access import AccessError


@pytest.mark.parametrize("name", sorted(data.SCHEMAS))
def test_every_committed_dataset_loads_with_its_schema(name):
    records = data.load_dataset_file(name)
    assert records and all(set(data.SCHEMAS[name]) <= set(record) for record in records)


@pytest.mark.parametrize("name,id_field", [("general_corpus.jsonl", "doc_id"), ("domain_corpus.jsonl", "doc_id"), ("handbook.jsonl", "doc_id"), ("domain_qa.jsonl", "qa_id"), ("handbook_questions.jsonl", "qid")])
def test_ids_are_unique(name, id_field):
    ids = [record[id_field] for record in data.load_dataset_file(name)]
    assert len(ids) == len(set(ids))


def test_general_and_domain_corpora_are_big_enough_to_teach_with():
    general_mb = sum(len(t) for t in data.texts_of(data.load_general_corpus())) / 1e6
    domain_mb = sum(len(t) for t in data.texts_of(data.load_domain_corpus())) / 1e6
    assert 3 <= general_mb <= 5 and 1 <= domain_mb <= 3


def test_qa_gold_documents_exist_in_the_domain_corpus():
    corpus_ids = {doc["doc_id"] for doc in data.load_domain_corpus()}
    for pair in data.load_domain_qa():
        assert set(pair["gold_doc_ids"]) <= corpus_ids


def test_handbook_answers_are_found_in_their_gold_documents():
    by_id = {doc["doc_id"]: doc for doc in data.load_handbook(data.UNFILTERED)}
    for question in data.load_handbook_questions():
        assert set(question["gold_doc_ids"]) <= set(by_id)
        if question["type"] == "single":
            assert question["answer"].lower() in by_id[question["gold_doc_ids"][0]]["text"].lower()


def test_splits_are_disjoint_and_complete():
    pairs = data.load_domain_qa()
    by_split = {split: {p["qa_id"] for p in data.load_domain_qa(split)} for split in data.SPLITS}
    assert sum(len(ids) for ids in by_split.values()) == len(pairs)
    assert not (by_split["train"] & by_split["test"])


def test_handbook_is_labelled_synthetic_and_has_near_identical_clusters():
    handbook = data.load_handbook(data.UNFILTERED)
    assert all(doc.get("synthetic") is True for doc in handbook)
    cluster_sizes = {}
    for doc in handbook:
        cluster_sizes[doc["cluster"]] = cluster_sizes.get(doc["cluster"], 0) + 1
    assert sum(1 for size in cluster_sizes.values() if size >= 3) >= 8


def test_an_it_user_never_sees_hr_only_documents():
    visible = data.load_handbook(role="it")
    assert visible and all(doc["visibility"] in ("all", "it") for doc in visible)
    with pytest.raises(ValueError, match="Unknown role"):
        data.load_handbook(role="ceo")


@pytest.mark.parametrize("role", [None, "", "HR", "hr ", "admin", 0])
def test_loading_the_handbook_without_a_valid_role_fails_instead_of_returning_everything(role):
    with pytest.raises(AccessError, match="role"):
        data.load_handbook(role)


def test_every_document_must_be_asked_for_explicitly():
    assert len(data.load_handbook(data.UNFILTERED)) > len(data.load_handbook("hr")) > len(data.load_handbook("all"))


def test_instructions_filter_by_split_and_task():
    records = data.load_instructions(split="train", task="length")
    assert records and all(r["split"] == "train" and r["task"] == "length" for r in records)


def test_unknown_split_and_source_are_explained():
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_domain_qa("dev")
    with pytest.raises(ValueError, match="sources"):
        data.load_domain_corpus(source="wikipedia")


def test_missing_committed_dataset_says_how_to_restore_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "datasets_dir", lambda: tmp_path)
    with pytest.raises(data.DatasetError, match=r"is missing.*git checkout -- datasets/handbook\.jsonl"):
        data.load_dataset_file("handbook.jsonl")


def test_malformed_line_is_reported_with_its_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "text": "x"}) + "\n{not json\n")
    with pytest.raises(data.DatasetError, match="line 2 is not valid JSON"):
        data.read_jsonl(path)


def test_missing_field_is_reported(tmp_path):
    path = tmp_path / "partial.jsonl"
    path.write_text(json.dumps({"doc_id": "a"}) + "\n")
    with pytest.raises(data.DatasetError, match=r"lacks field\(s\) \['text'\]"):
        data.read_jsonl(path, ["doc_id", "text"])


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(data.DatasetError, match="no records"):
        data.read_jsonl(path)


def test_unknown_dataset_name_lists_the_shipped_ones():
    with pytest.raises(data.DatasetError, match="ships"):
        data.load_dataset_file("imagenet.jsonl")


def test_split_records_keeps_whole_records_apart_and_is_seeded():
    records = [{"id": i} for i in range(20)]
    train, validation = data.split_records(records, 0.25, seed=1)
    assert len(validation) == 5 and len(train) == 15
    assert not {r["id"] for r in train} & {r["id"] for r in validation}
    assert data.split_records(records, 0.25, seed=1) == (train, validation)
    with pytest.raises(ValueError):
        data.split_records(records, 1.5)


def test_split_records_shuffles_by_its_seed():
    records = [{"id": i} for i in range(20)]
    validations = [sorted(r["id"] for r in data.split_records(records, 0.25, seed=seed)[1]) for seed in (0, 1, 2)]
    # not the first or the last five records of the file, and a different five for each seed
    assert all(ids not in ([0, 1, 2, 3, 4], [15, 16, 17, 18, 19]) for ids in validations)
    assert len({tuple(ids) for ids in validations}) == 3


def test_split_records_rounds_the_validation_size():
    records = [{"id": i} for i in range(10)]
    train, validation = data.split_records(records, 0.15)  # 1.5 records rounds to 2
    assert len(validation) == 2 and len(train) == 8


def test_a_missing_field_after_the_first_record_is_reported(tmp_path):
    path = tmp_path / "partial.jsonl"
    path.write_text(json.dumps({"doc_id": "a", "text": "x"}) + "\n" + json.dumps({"doc_id": "b"}) + "\n")
    with pytest.raises(data.DatasetError, match=r"line 2 lacks field\(s\) \['text'\]"):
        data.read_jsonl(path, ["doc_id", "text"])


def test_blank_lines_between_records_are_skipped(tmp_path):
    path = tmp_path / "gaps.jsonl"
    path.write_text(json.dumps({"doc_id": "a"}) + "\n\n" + json.dumps({"doc_id": "b"}) + "\n")
    assert [r["doc_id"] for r in data.read_jsonl(path, ["doc_id"])] == ["a", "b"]


def test_a_dataset_fingerprint_changes_with_its_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "datasets_dir", lambda: tmp_path)
    path = tmp_path / "instructions.jsonl"
    path.write_text('{"id": "a"}\n')
    before = data.dataset_fingerprint("instructions.jsonl")
    path.write_text('{"id": "b"}\n')
    assert data.dataset_fingerprint("instructions.jsonl") != before
    with pytest.raises(data.DatasetError, match="Unknown dataset"):
        data.dataset_fingerprint("secrets.jsonl")
    path.unlink()
    with pytest.raises(data.DatasetError, match="is missing"):
        data.dataset_fingerprint("instructions.jsonl")


def test_every_instruction_family_is_balanced_and_its_test_passages_never_train():
    records = data.load_instructions()
    by_family_split: dict[tuple[str, str], list[str]] = {}
    for record in records:
        by_family_split.setdefault((record["task"], record["split"]), []).append(record["output"])
    for (task, split), outputs in by_family_split.items():
        answers = sorted(set(outputs))
        assert len(answers) == 2 and outputs.count(answers[0]) == outputs.count(answers[1]), (task, split)  # chance is 0.50
    train_passages = {record["input"] for record in records if record["split"] == "train"}
    assert not train_passages & {record["input"] for record in records if record["split"] == "test"}
    assert len(data.load_instructions("test")) >= 100 * len({record["task"] for record in records})

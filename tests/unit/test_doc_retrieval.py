"""doc_retrieval: the answer-containment hit rule, splitting sections to the embedder's window, the abstention threshold."""

from __future__ import annotations

import re

import pytest

from course_utils import doc_retrieval as dr
from course_utils.rag import Chunk, pages_from_sections


class WhitespaceTokenizer:
    """One token per run of non-space characters, with character offsets (what token_window_spans reads)."""

    def __call__(self, text: str, add_special_tokens: bool = False, return_offsets_mapping: bool = False, verbose: bool = True) -> dict:
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        return {"input_ids": list(range(len(spans))), "offset_mapping": spans}


def chunk(chunk_id: str, page_id: str, text: str) -> Chunk:
    return Chunk(chunk_id=chunk_id, page_id=page_id, start=0, end=len(text), text=text)


URL_OF = {"sqlite-about-01": "about.html", "pyfaq-1": "faq/general.rst.txt"}


def test_containment_ignores_case_spacing_and_punctuation() -> None:
    assert dr.contains_answer("built by the Lemon  Parser\nGenerator, then", "lemon parser generator")
    assert dr.contains_answer("Users are often surprised by results like this:\n\n  >>> 1.2", "Users are often surprised by results like this.")


def test_containment_needs_whole_words() -> None:
    assert not dr.contains_answer("released as version 12.5", "2.5")
    assert dr.contains_answer("released as version 2.5 today", "2.5")


def test_long_answers_are_matched_by_their_first_100_characters() -> None:
    answer = "word " * 30  # 150 characters; normalised and cut to 100: twenty "word"s
    assert dr.contains_answer("word " * 20, answer)
    assert not dr.contains_answer("word " * 19, answer)


def test_a_long_answer_is_cut_at_a_word_boundary() -> None:
    answer = "a" * 98 + " bcd efg"  # the first 100 characters end inside "bcd": only the whole first word is looked for
    assert dr.contains_answer("x " + "a" * 98 + " other", answer)


def test_an_answer_without_letters_or_digits_is_an_error() -> None:
    with pytest.raises(ValueError, match="no letter or digit"):
        dr.contains_answer("anything", "?!")


def test_a_chunk_from_another_page_is_no_hit_even_if_it_holds_the_answer() -> None:
    assert dr.is_hit(chunk("c1", "about.html", "started on 2000-05-09."), "about.html", "2000-05-09")
    assert not dr.is_hit(chunk("c2", "history.html", "started on 2000-05-09."), "about.html", "2000-05-09")


def test_hits_at_k_marks_each_question_by_its_top_k_chunks() -> None:
    chunks = [
        chunk("a", "about.html", "SQLite was started on 2000-05-09."),
        chunk("b", "about.html", "SQLite is public domain."),
        chunk("c", "faq/general.rst.txt", "Python is a programming language."),
    ]
    questions = [
        {"dq_id": "q1", "doc_id": "sqlite-about-01", "answer": "2000-05-09"},
        {"qa_id": "q2", "gold_doc_ids": ["pyfaq-1"], "answer": "a programming language"},
    ]
    rankings = [["b", "a"], ["c", "a"]]
    assert dr.hits_at_k(rankings, chunks, questions, URL_OF, k=1) == [0, 1]
    assert dr.hits_at_k(rankings, chunks, questions, URL_OF, k=2) == [1, 1]


def test_hits_at_k_needs_one_ranking_per_question() -> None:
    with pytest.raises(ValueError, match="one ranking per question"):
        dr.hits_at_k([["a"]], [chunk("a", "about.html", "x")], [], URL_OF, k=1)


def test_heading_joins_title_and_a_different_section_name() -> None:
    assert dr.heading_of({"title": "About SQLite", "section": "About SQLite"}) == "About SQLite"
    assert dr.heading_of({"title": "Pragmas", "section": "Intro"}) == "Pragmas — Intro"


def test_split_to_window_cuts_overlapping_pieces_that_each_start_with_the_heading() -> None:
    record = {"doc_id": "s-01", "url": "p.html", "title": "T", "section": "T", "text": "a b c d e f g"}
    page = pages_from_sections([record])[0]
    # window 8 = 2 special tokens + heading "T" and its newline (2) + 4 text tokens; overlap 1 -> pieces start at tokens 0 and 3
    pieces = dr.split_to_window(record, page, WhitespaceTokenizer(), max_tokens=8, overlap=1)
    assert [p.text for p in pieces] == ["T\na b c d", "T\nd e f g"]
    assert [p.chunk_id for p in pieces] == ["s-01#p0", "s-01#p1"]
    assert [(p.start, p.end) for p in pieces] == [(0, 7), (6, 13)]


def test_a_section_that_fits_stays_one_piece() -> None:
    record = {"doc_id": "s-01", "url": "p.html", "title": "T", "section": "T", "text": "a b c"}
    page = pages_from_sections([record])[0]
    assert [p.text for p in dr.split_to_window(record, page, WhitespaceTokenizer(), max_tokens=8, overlap=1)] == ["T\na b c"]


def test_a_window_too_small_for_the_heading_is_an_error() -> None:
    record = {"doc_id": "s-01", "url": "p.html", "title": "A long title", "section": "A long title", "text": "a b c"}
    page = pages_from_sections([record])[0]
    with pytest.raises(ValueError, match="bigger window"):
        dr.split_to_window(record, page, WhitespaceTokenizer(), max_tokens=6, overlap=1)


def test_threshold_separates_the_two_groups_at_the_midpoint() -> None:
    assert dr.choose_threshold([0.9, 0.8], [0.1, 0.2]) == pytest.approx(0.5)


def test_threshold_ties_go_to_the_lowest_threshold() -> None:
    # 0.35 and 0.65 both get 4 of 5 right (0.35: misses out-of-corpus 0.5; 0.65: misses in-corpus 0.4)
    assert dr.choose_threshold([0.9, 0.8, 0.4], [0.3, 0.5]) == pytest.approx(0.35)


def test_threshold_needs_both_groups() -> None:
    with pytest.raises(ValueError, match="both"):
        dr.choose_threshold([0.9], [])


def test_abstains_below_the_threshold() -> None:
    assert dr.abstains([0.2, 0.6, 0.5], 0.5) == [1, 0, 0]


def test_best_sentence_score_counts_the_question_words_of_the_best_single_sentence() -> None:
    idf = {"vacuum": 2.0, "database": 0.5}  # every other word weighs 0
    text = "The database is big. VACUUM rebuilds the database file."
    assert dr.best_sentence_score("How does vacuum shrink the database?", text, idf) == pytest.approx(2.5)
    assert dr.best_sentence_score("What is a database?", text, idf) == pytest.approx(0.5)


def test_sentence_reranking_puts_the_chunk_with_the_gathered_words_first() -> None:
    chunks = [chunk("spread", "p.html", "Vacuum is a command. The database is a file."), chunk("together", "p.html", "Vacuum rebuilds the database.")]
    idf = {"vacuum": 2.0, "database": 0.5}
    reranked = dr.rerank_by_sentence(["How does vacuum shrink the database?"], [["spread", "together"]], chunks, idf)
    assert reranked == [[("together", 2.5), ("spread", 2.0)]]


def test_training_pairs_keep_every_hit_and_the_top_non_hits_as_hard_negatives() -> None:
    chunks = [chunk("a", "about.html", "started on 2000-05-09."), chunk("b", "about.html", "public domain."), chunk("c", "about.html", "tested.")]
    question = {"dq_id": "q1", "doc_id": "sqlite-about-01", "question": "When did it start?", "answer": "2000-05-09"}
    pairs = dr.training_pairs([question], [["b", "a", "c"]], chunks, URL_OF, n_negatives=1)
    assert pairs == [("When did it start?", "started on 2000-05-09.", 1.0), ("When did it start?", "public domain.", 0.0)]

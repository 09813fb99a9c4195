"""The signals on our own hand-written posts to retail, software, telecom, banking, food,
electronics, car, utility, transport, hotel and service brands: they must not be tuned to
airlines (bench/triage.py measures both). Batch 3 was written before the second round of work
on the lexicons and is reported before and after it; every batch is guarded on its own."""
from pathlib import Path

import pytest
import yaml

from engine.signals import analyze

POSTS = yaml.safe_load((Path(__file__).parent / "fixtures" / "signals_multidomain.yaml")
                       .read_text(encoding="utf-8"))["posts"]
BATCHES = (1, 2, 3)


def share(label: str, flag: str, batch: int | None = None) -> float:
    chosen = [post for post in POSTS if post["label"] == label
              and batch in (None, post.get("batch", 1))]
    return sum(analyze(post["text"])[flag] for post in chosen) / len(chosen)


def test_the_set_covers_every_domain_and_label():
    assert {post["domain"] for post in POSTS} == {
        "retail", "software", "electronics", "food", "car", "services", "telecom", "banking",
        "utilities", "transport", "hotels"}
    assert {post["label"] for post in POSTS} == {"complaint", "question", "praise", "other"}
    assert {post.get("batch", 1) for post in POSTS} == set(BATCHES)


def test_most_complaints_are_found():
    assert share("complaint", "is_complaint") >= 0.95


@pytest.mark.parametrize("batch", BATCHES)
def test_most_complaints_are_found_in_every_batch(batch):
    assert share("complaint", "is_complaint", batch) >= 0.9


def test_little_praise_is_taken_for_a_complaint():
    assert share("praise", "is_complaint") <= 0.05


@pytest.mark.parametrize("batch", BATCHES)
def test_little_praise_is_taken_for_a_complaint_in_any_batch(batch):
    assert share("praise", "is_complaint", batch) <= 0.05


def test_praise_is_recognised():
    assert share("praise", "is_praise") >= 0.75


def test_questions_are_recognised_and_not_taken_for_complaints():
    assert share("question", "is_question") >= 0.9
    assert share("question", "is_complaint") <= 0.1


def test_chatter_is_left_alone():
    assert share("other", "is_complaint") == 0.0


@pytest.mark.parametrize("post", [p for p in POSTS if "language" in p], ids=lambda p: p["language"])
def test_posts_in_other_languages_are_told_apart(post):
    assert analyze(post["text"])["language"] == post["language"]

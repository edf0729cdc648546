"""Search filters come from the registry of vocabulary fields (``repository.fields``)."""

from __future__ import annotations

import unicodedata

import pytest

from repository import fields
from repository.errors import InvalidQuery
from repository.fields import VocabularyField
from search.backends._cache import cache_key
from search.query import SearchQuery


def test_filters_by_field_name_reach_the_query_attributes() -> None:
    q = SearchQuery.with_filters(
        "phân số", {"grade": [5], "subject": ["toan"], "type": ["bai-giang"]}, page=2
    )
    assert (q.grades, q.subjects, q.types, q.page) == ((5,), ("toan",), ("bai-giang",), 2)
    assert q.filters() == {"grade": (5,), "subject": ("toan",), "type": ("bai-giang",)}


def test_a_name_that_is_no_filter_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="unknown filter"):
        SearchQuery.with_filters("", {"colour": ["do"]})
    with pytest.raises(InvalidQuery, match="unknown filter"):
        SearchQuery.with_filters("", {"level": ["thcs"]})  # indexed, but not a filter
    with pytest.raises(InvalidQuery, match="unknown filter"):
        SearchQuery("", codes={"colour": ["do"]})


def test_filters_are_listed_in_registry_order() -> None:
    q = SearchQuery.with_filters("", {name: ["x"] for name in ("audience", "series", "subject")})
    assert list(q.filters()) == [
        f.name for f in fields.filters() if f.name in ("audience", "series", "subject")
    ]


def test_a_field_without_an_attribute_is_kept_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = VocabularyField("topic", key="topic", vocabulary="topic", facet=True)
    monkeypatch.setattr(fields, "FIELDS", (*fields.FIELDS, extra))
    nfd = unicodedata.normalize("NFD", "sở-huế")
    q = SearchQuery.with_filters("", {"topic": [nfd, "so-ha-noi"], "grade": [5]})
    assert q.filters() == {"grade": (5,), "topic": ("sở-huế", "so-ha-noi")}
    # The result cache sees the same query whatever the order of the codes.
    again = SearchQuery.with_filters("", {"topic": ["so-ha-noi", "sở-huế"], "grade": [5]})
    assert cache_key(q) == cache_key(again)
    assert cache_key(q) != cache_key(SearchQuery.with_filters("", {"topic": ["so-ha-noi"], "grade": [5]}))

"""The registry of vocabulary fields: each one declared once, read by every layer.

A vocabulary field is a metadata field whose values are codes of a controlled vocabulary
(``metadata_schemas/vocabularies/<vocabulary>.json``). Its entry here drives:

* the metadata documents: the key it has there (``subjects``, a list; ``type``, one code);
* the search documents and both backends: an exact-match index field named ``name`` holding
  its codes (``search.documents.codes_of``, the embedded schema, the OpenSearch mapping);
* search requests: a filter ``name`` (``search.query.SearchQuery``), the API's and the portal's
  query parameter of the same name (``web.search_params``), a facet when ``facet`` is set;
* labels: values by the vocabulary's labels, the facet's heading by the portal message
  ``facet.<name>`` (``web/portal/i18n.py``).

Adding a field therefore takes its entry below, its vocabulary file and its messages. Entries
are kept in display order (the portal lists facets in this order).
"""

from __future__ import annotations

from dataclasses import dataclass

from repository.errors import NotFound


@dataclass(frozen=True)
class VocabularyField:
    """One vocabulary field.

    Example::

        VocabularyField("series", key="series", vocabulary="series", facet=True, portal=True,
                        help="Textbook series codes, repeatable")
    """

    #: Singular: the index field, the facet, the API and portal query parameter.
    name: str
    #: The key in the metadata document.
    key: str
    #: The vocabulary file holding its codes and labels; ``None`` for the codes of records in the
    #: database (organisations: slugs, labelled by their names).
    vocabulary: str | None
    #: The metadata document holds a list of codes (else one code).
    many: bool = False
    #: Codes are integers (grades), indexed as numbers.
    integer: bool = False
    #: Searches may filter on it (API parameter).
    filter: bool = True
    #: Searches count it (facet counts in the API, filter boxes in the portal).
    facet: bool = False
    #: The portal's search page offers it as a filter.
    portal: bool = False
    #: The API parameter's description.
    help: str = ""
    #: The ``SearchQuery`` and ``SearchDocument`` attributes of the fields that have their own
    #: (those older than this registry); ``None``: kept in their generic ``codes`` mappings.
    query_attribute: str | None = None
    document_attribute: str | None = None


FIELDS: tuple[VocabularyField, ...] = (
    VocabularyField(
        "grade",
        key="grades",
        vocabulary="grade",
        many=True,
        integer=True,
        facet=True,
        portal=True,
        help="Grades 1-12, repeatable (OR)",
        query_attribute="grades",
        document_attribute="grades",
    ),
    VocabularyField(
        "subject",
        key="subjects",
        vocabulary="subject",
        many=True,
        facet=True,
        portal=True,
        help="Subject codes, repeatable",
        query_attribute="subjects",
        document_attribute="subjects",
    ),
    VocabularyField(
        "type",
        key="type",
        vocabulary="resource-type",
        facet=True,
        portal=True,
        help="Resource type codes, repeatable",
        query_attribute="types",
        document_attribute="type",
    ),
    VocabularyField(
        "series",
        key="series",
        vocabulary="series",
        facet=True,
        portal=True,
        help="Textbook series codes, repeatable",
        query_attribute="series",
        document_attribute="series",
    ),
    VocabularyField(
        "language",
        key="language",
        vocabulary="language",
        facet=True,
        help="Language codes, repeatable",
        query_attribute="languages",
        document_attribute="language",
    ),
    VocabularyField(
        "license",
        key="license",
        vocabulary="license",
        help="Licence codes, repeatable",
        query_attribute="licenses",
        document_attribute="license",
    ),
    VocabularyField(
        "audience",
        key="audience",
        vocabulary="audience",
        many=True,
        portal=True,
        help="Audience codes, repeatable (`giao-vien` asks for teachers' material)",
        query_attribute="audiences",
        document_attribute="audience",
    ),
    # Indexed (exact match) but not offered as a filter: the level follows from the grades.
    VocabularyField("level", key="level", vocabulary="level", filter=False, document_attribute="level"),
    # Not metadata: the material's contributing organisation (a column), by its slug.
    VocabularyField(
        "organisation",
        key="organisation",
        vocabulary=None,
        facet=True,
        portal=True,
        help="Contributing organisations' slugs, repeatable",
        query_attribute="organisations",
        document_attribute="organisation",
    ),
)


def vocabulary_field(name: str) -> VocabularyField:
    """The field named ``name``.

    Raises:
        NotFound: no vocabulary field has this name.
    """
    for f in FIELDS:
        if f.name == name:
            return f
    raise NotFound(f"no vocabulary field named {name!r}")


def filters() -> tuple[VocabularyField, ...]:
    """The fields a search may filter on, in display order."""
    return tuple(f for f in FIELDS if f.filter)


def facets() -> tuple[str, ...]:
    """The names of the counted fields, in display order."""
    return tuple(f.name for f in FIELDS if f.facet)

"""OAI-PMH 2.0 data provider (https://www.openarchives.org/OAI/openarchivesprotocol.html).

Other vendors' school software harvests Hoclieu through one endpoint (``/oai``, GET or POST). What
it answers, and why:

* **Records** are materials the public may see (``visible_to(None)``: approved ones), in Dublin
  Core (``oai_dc``, the one format every harvester must read) and IEEE LOM (``oai_lom``). Identifiers are
  ``oai:<host of settings.base_url>:<material uuid>``.
* **Datestamps** are the material's ``updated_at`` in UTC, seconds granularity
  (``YYYY-MM-DDThh:mm:ssZ``; day-granularity ``from``/``until`` are accepted too, as 2.0 requires).
  ``from`` and ``until`` are inclusive at the granularity given: ``until=2024-05-01`` covers that
  whole day.
* **Sets** come from the vocabularies: ``subject:<code>``, ``grade:<n>``, ``type:<code>``, under
  the parents ``subject``, ``grade`` and ``type`` (a parent holds every material with any value on
  that axis), and from the organisations: ``org:<slug>`` under ``org`` (every material some
  organisation contributed). Set names are Vietnamese; the English label is the set's
  ``dc:description``.
* **Deleted records: ``transient``.** A material that was public (some version approved and
  signed) and is no longer public is reported as ``status="deleted"``, so harvesters take it out
  of their catalogues. ``persistent`` would promise that tombstone forever, including for a
  material whose row is hard-deleted, and nothing keeps one then (that would take a tombstone
  table); ``no`` would leave withdrawn material live in every harvester's copy. ``transient`` is
  the honest promise: we report deletions while we know of them.
* **Resumption tokens** are stateless and signed (:mod:`repository.oai.tokens`): they carry the
  query, a keyset cursor ``(updated_at, id)`` and the count delivered so far, never an offset, so
  a record changed mid-harvest is delivered again later rather than skipped. The first request
  also freezes an upper time bound (its own time): the list cannot grow while it is paged, and
  the harvester's next incremental run (``from`` = this response's date) picks up what changed.
  Pages hold 100 records.
* **Errors** are OAI ``<error>`` elements in an HTTP 200 response, as the protocol demands.
  ``noSetHierarchy`` never occurs (sets are supported); an unknown set is ``noRecordsMatch``.

The XML is built with the standard library's ElementTree, UTF-8, with every text NFC-normalised
and stripped of characters XML 1.0 cannot carry (user-supplied argument values included).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.orm import Session

from repository.crosswalks import DC_NS, LOM_NS, LOM_SCHEMA, OAI_DC_NS, OAI_DC_SCHEMA_LOCATION, XSI_NS
from repository.material.service import material as material_service
from repository.models import Material
from repository.oai.exports import lom_for, oai_dc_for, organisation_of
from repository.oai.store import OaiStore, Row, SetFilter, Window
from repository.oai.tokens import TokenCodec, TokenError
from repository.organisation.service import organisations
from repository.text import nfc
from repository.vocabularies import get_vocabulary

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA_LOCATION = f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA_LOCATION = f"{OAI_IDENTIFIER_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
PROTOCOL_VERSION = "2.0"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DELETED_RECORD = "transient"
PAGE_SIZE = 100
METADATA_PREFIX = "oai_dc"
# Every format offered: prefix → (schema, namespace). oai_dc is the one all harvesters read;
# oai_lom (IEEE LOM) carries the curriculum classification and technical data that DC flattens.
METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "oai_lom": (LOM_SCHEMA, LOM_NS),
}
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_FIELDS = 20  # a valid request has at most 5 arguments; more is junk, refused before parsing it all
MAX_REQUEST_CHARS = 8192  # the longest valid request (a resumption token) is a few hundred characters

ET.register_namespace("oai-identifier", OAI_IDENTIFIER_NS)

# Arguments per verb: (required, optional). ``resumptionToken`` is exclusive where allowed.
_LIST_ARGS = (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}))
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "ListIdentifiers": _LIST_ARGS,
    "ListRecords": _LIST_ARGS,
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
}
RESUMABLE = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})

# The setSpec grammar of the OAI-PMH XML schema (setSpecType).
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
# repositoryIdentifier of the oai-identifier scheme: a domain name (an IP address does not qualify).
DOMAIN = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# OAI set axes: set prefix → (vocabulary, metadata key, setName prefix).
SET_AXES: dict[str, tuple[str, str]] = {
    "subject": ("subject", "subjects"),
    "grade": ("grade", "grades"),
    "type": ("resource-type", "type"),
}


@dataclass(frozen=True)
class OaiConfig:
    """What the provider needs from the site's settings.

    Args:
        base_url: the public base URL (``settings.base_url``); the endpoint is ``<base_url>/oai``.
        secret: the site secret; resumption tokens are signed with a key derived from it.
        admin_email: the address Identify gives (required by the protocol).
    """

    base_url: str
    secret: str
    admin_email: str
    repository_name: str = "Hoclieu — Kho học liệu số quốc gia"
    page_size: int = PAGE_SIZE

    @property
    def endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/oai"

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "localhost").lower()


class OaiError(Exception):
    """An OAI-PMH error condition: ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def xml_text(value: Any) -> str:
    """Text XML 1.0 can carry, NFC: ElementTree escapes markup but writes control characters as is."""
    return "".join(
        ch
        for ch in nfc(str(value))
        if ch in "\t\n\r" or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff")
    )


def datestamp(moment: datetime) -> str:
    """A UTC datestamp at the declared (seconds) granularity."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def oai_identifier(host: str, material_id: str) -> str:
    return f"oai:{host}:{material_id}"


def parse_datestamp(value: str, *, name: str) -> tuple[datetime, timedelta]:
    """A ``from``/``until`` value and its granularity step (a day or a second).

    Raises:
        OaiError: ``badArgument`` for anything but ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``.
    """
    try:
        if _DAY.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), timedelta(days=1)
        if _SECONDS.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), timedelta(seconds=1)
    except ValueError:
        pass  # shaped right but not a date (2024-02-30): same answer as any other bad value
    raise OaiError(
        "badArgument",
        f"'{name}' must be a UTC date YYYY-MM-DD or datestamp YYYY-MM-DDThh:mm:ssZ, got {value!r}",
    )


#: The set axis of the contributing organisations (``org:<slug>``).
ORG_SET = "org"


def parse_set(spec: str) -> SetFilter | None:
    """The filter for a setSpec, or None when this repository has no such set.

    An ``org:<slug>`` of no organisation is a set without records (``noRecordsMatch`` either way),
    so a resumption token needs no database to be read back.
    """
    axis, _, code = spec.partition(":")
    if axis == ORG_SET:
        return SetFilter("organisation", code or None)
    if axis not in SET_AXES:
        return None
    vocabulary, key = SET_AXES[axis]
    if not code:
        return SetFilter(key, None)
    return SetFilter(key, code) if code in get_vocabulary(vocabulary) else None


def set_specs(meta: Mapping[str, Any], organisation: str | None = None) -> list[str]:
    """The (leaf) sets a material belongs to (its metadata document and the slug of its
    organisation); membership of the parent sets is implied."""
    specs: list[str] = []
    for axis, (_vocabulary, key) in SET_AXES.items():
        value = meta.get(key)
        values = value if isinstance(value, list) else [value] if value is not None else []
        specs += [f"{axis}:{v}" for v in values if SET_SPEC.fullmatch(f"{axis}:{v}")]
    if organisation is not None and SET_SPEC.fullmatch(f"{ORG_SET}:{organisation}"):
        specs.append(f"{ORG_SET}:{organisation}")
    return specs


@dataclass(frozen=True)
class _ListQuery:
    """A list request, as the resumption token carries it."""

    verb: str
    window: Window
    set_spec: str | None
    after: tuple[datetime, str] | None
    cursor: int
    prefix: str = METADATA_PREFIX

    def to_token(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "verb": self.verb,
            "set": self.set_spec,
            "since": iso(self.window.since),
            "before": iso(self.window.before),
            "after": [self.after[0].isoformat(), self.after[1]] if self.after else None,
            "cursor": self.cursor,
            "prefix": self.prefix,
        }

    @classmethod
    def from_token(cls, data: dict[str, Any], verb: str) -> _ListQuery:
        """Raises ValueError/TypeError/KeyError for a payload of the wrong shape."""
        if data["verb"] != verb:
            raise ValueError(f"this resumption token continues {data['verb']}, not {verb}")
        set_spec = data["set"]
        set_filter = parse_set(set_spec) if set_spec is not None else None
        if set_spec is not None and set_filter is None:
            raise ValueError("the token names a set that no longer exists")

        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value is not None else None

        after = data["after"]
        cursor = data["cursor"]
        if not isinstance(cursor, int) or cursor < 0:
            raise ValueError("bad cursor")
        return cls(
            verb=verb,
            window=Window(since=when(data["since"]), before=when(data["before"]), set=set_filter),
            set_spec=set_spec,
            after=(datetime.fromisoformat(after[0]), str(after[1])) if after is not None else None,
            cursor=cursor,
            prefix=_known_prefix(data.get("prefix", METADATA_PREFIX)),
        )


def _known_prefix(prefix: Any) -> str:
    if prefix not in METADATA_FORMATS:
        raise ValueError(f"unknown metadata format {prefix!r}")
    return str(prefix)


def _tag(name: str, ns: str = OAI_NS) -> str:
    # OAI elements go unqualified under an explicit default ``xmlns`` on the root: ElementTree's
    # own default_namespace option refuses the protocol's unqualified attributes (verb, code...).
    return name if ns == OAI_NS else f"{{{ns}}}{name}"


def _el(parent: ET.Element, tag: str, text: Any = None, ns: str = OAI_NS, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, _tag(tag, ns), {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_text(text)
    return node


class OaiService:
    """Answers OAI-PMH requests. Stateless; ``oai`` is the singleton."""

    def handle(
        self,
        session: Session,
        params: str | Sequence[tuple[str, str]],
        config: OaiConfig,
        *,
        now: datetime | None = None,
    ) -> bytes:
        """The complete OAI-PMH response document for one request.

        Args:
            session: a read session.
            params: the raw ``application/x-www-form-urlencoded`` arguments (the query string of a
                GET, the body of a POST), or already parsed pairs in order with repeats kept.
            config: site settings for the provider.
            now: the response time (tests pin it); defaults to the current time.

        Returns:
            UTF-8 XML with declaration. Protocol errors are inside it: the HTTP status is always 200.
        """
        now = (now or datetime.now(UTC)).astimezone(UTC)
        root = ET.Element("OAI-PMH", {"xmlns": OAI_NS, f"{{{XSI_NS}}}schemaLocation": OAI_SCHEMA_LOCATION})
        _el(root, "responseDate", datestamp(now))
        request = _el(root, "request", config.endpoint)
        try:
            pairs = self._parse(params) if isinstance(params, str) else list(params)
            verb, args = self._check_arguments(pairs)
            # Attributes echo only a request that parsed (spec 3.2: none for badVerb/badArgument).
            request.set("verb", verb)
            for key, value in args.items():
                request.set(key, xml_text(value))
            body = self._dispatch(session, verb, args, config, now)
            root.append(body)
        except OaiError as exc:
            if exc.code in ("badVerb", "badArgument"):
                request.attrib.clear()
            _el(root, "error", exc.message, code=exc.code)
        document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return document

    # --- arguments ---------------------------------------------------------------------------

    def _parse(self, raw: str) -> list[tuple[str, str]]:
        if len(raw) > MAX_REQUEST_CHARS:
            raise OaiError("badArgument", f"the request is longer than {MAX_REQUEST_CHARS} characters")
        try:
            # Blank values are kept so "set=" is reported, not silently dropped; bad UTF-8 becomes U+FFFD.
            return parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="replace")
        except ValueError as exc:
            raise OaiError("badArgument", f"the request has too many arguments ({exc})") from exc

    def _check_arguments(self, params: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
        verbs = [value for key, value in params if key == "verb"]
        if not verbs:
            raise OaiError("badVerb", "the 'verb' argument is missing")
        if len(verbs) > 1:
            raise OaiError("badVerb", "the 'verb' argument is repeated")
        verb = verbs[0]
        if verb not in VERBS:
            raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb; use one of {', '.join(VERBS)}")
        required, optional = VERBS[verb]
        args: dict[str, str] = {}
        for key, value in params:
            if key == "verb":
                continue
            if key in args:
                raise OaiError("badArgument", f"the argument {key!r} is repeated")
            allowed = required | optional | ({"resumptionToken"} if verb in RESUMABLE else frozenset())
            if key not in allowed:
                raise OaiError("badArgument", f"{verb} does not take the argument {key!r}")
            if not value:
                raise OaiError("badArgument", f"the argument {key!r} is empty")
            args[key] = value
        if "resumptionToken" in args:
            if len(args) > 1:
                raise OaiError("badArgument", "'resumptionToken' is exclusive: send it with 'verb' only")
            return verb, args
        missing = sorted(required - set(args))
        if missing:
            raise OaiError("badArgument", f"{verb} requires the argument(s) {', '.join(missing)}")
        return verb, args

    def _dispatch(
        self, session: Session, verb: str, args: dict[str, str], config: OaiConfig, now: datetime
    ) -> ET.Element:
        if verb == "Identify":
            return self._identify(session, config)
        if verb == "ListMetadataFormats":
            return self._list_metadata_formats(session, args.get("identifier"), config)
        if verb == "ListSets":
            if "resumptionToken" in args:
                raise OaiError(
                    "badResumptionToken", "ListSets is answered in one response; no token was issued"
                )
            return self._list_sets(session)
        if verb == "GetRecord":
            return self._get_record(session, args, config)
        return self._list(session, verb, args, config, now)

    # --- verbs -------------------------------------------------------------------------------

    def _identify(self, session: Session, config: OaiConfig) -> ET.Element:
        node = ET.Element("Identify")
        _el(node, "repositoryName", config.repository_name)
        _el(node, "baseURL", config.endpoint)
        _el(node, "protocolVersion", PROTOCOL_VERSION)
        _el(node, "adminEmail", config.admin_email)
        earliest = OaiStore.from_session(session).earliest()
        # An empty repository still has to name one; the epoch is the conventional "nothing before".
        _el(node, "earliestDatestamp", datestamp(earliest) if earliest else "1970-01-01T00:00:00Z")
        _el(node, "deletedRecord", DELETED_RECORD)
        _el(node, "granularity", GRANULARITY)
        if DOMAIN.fullmatch(config.host):
            # The oai-identifier scheme needs a domain name; behind a bare IP the description is left out.
            description = _el(node, "description")
            ident = _el(
                description,
                "oai-identifier",
                ns=OAI_IDENTIFIER_NS,
                **{f"{{{XSI_NS}}}schemaLocation": OAI_IDENTIFIER_SCHEMA_LOCATION},
            )
            _el(ident, "scheme", "oai", ns=OAI_IDENTIFIER_NS)
            _el(ident, "repositoryIdentifier", config.host, ns=OAI_IDENTIFIER_NS)
            _el(ident, "delimiter", ":", ns=OAI_IDENTIFIER_NS)
            _el(
                ident,
                "sampleIdentifier",
                oai_identifier(config.host, "7f1c3a52-1d0e-4b8f-9a53-2a1e5b8c9d10"),
                ns=OAI_IDENTIFIER_NS,
            )
        return node

    def _list_metadata_formats(
        self, session: Session, identifier: str | None, config: OaiConfig
    ) -> ET.Element:
        if identifier is not None:
            self._row(session, identifier, config)  # idDoesNotExist for an unknown item
        node = ET.Element("ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            fmt = _el(node, "metadataFormat")
            _el(fmt, "metadataPrefix", prefix)
            _el(fmt, "schema", schema)
            _el(fmt, "metadataNamespace", namespace)
        return node

    def _list_sets(self, session: Session) -> ET.Element:
        node = ET.Element("ListSets")
        for axis, (vocabulary_name, _key) in SET_AXES.items():
            vocabulary = get_vocabulary(vocabulary_name)
            self._set(node, axis, vocabulary.label_vi, vocabulary.label_en)
            for term in vocabulary.terms:
                # Grade labels already say "Lớp 5"; the others read better with the axis in front.
                name = term.label_vi if axis == "grade" else f"{vocabulary.label_vi}: {term.label_vi}"
                self._set(node, f"{axis}:{term.code}", name, term.label_en)
        self._set(node, ORG_SET, "Đơn vị đóng góp", "Contributing organisations")
        for org, _count in organisations.all(session):
            self._set(node, f"{ORG_SET}:{org.slug}", f"Đơn vị: {org.name}", org.name)
        return node

    def _set(self, parent: ET.Element, spec: str, name: str, english: str) -> None:
        node = _el(parent, "set")
        _el(node, "setSpec", spec)
        _el(node, "setName", name)
        description = _el(node, "setDescription")
        dc = _el(description, "dc", ns=OAI_DC_NS, **{f"{{{XSI_NS}}}schemaLocation": OAI_DC_SCHEMA_LOCATION})
        _el(dc, "description", english, ns=DC_NS)
        _el(dc, "language", "en", ns=DC_NS)

    def _get_record(self, session: Session, args: dict[str, str], config: OaiConfig) -> ET.Element:
        row = self._row(session, args["identifier"], config)
        self._check_prefix(args["metadataPrefix"])
        node = ET.Element("GetRecord")
        self._record(session, node, row, config, args["metadataPrefix"])
        return node

    def _list(
        self, session: Session, verb: str, args: dict[str, str], config: OaiConfig, now: datetime
    ) -> ET.Element:
        query = self._list_query(verb, args, config, now)
        store = OaiStore.from_session(session)
        rows = store.page(query.window, after=query.after, limit=config.page_size + 1)
        if not rows:
            raise OaiError("noRecordsMatch", "no records match the arguments given")
        more = len(rows) > config.page_size
        rows = rows[: config.page_size]
        node = ET.Element(verb)
        for row in rows:
            if verb == "ListRecords":
                self._record(session, node, row, config, query.prefix)
            else:
                self._header(node, row, config)
        if more or query.cursor > 0:
            # completeListSize: the list as it stands now (the window is frozen, so it only shrinks
            # when records are taken offline). The last page carries an empty token (spec 3.5).
            token = _el(
                node,
                "resumptionToken",
                completeListSize=str(store.count(query.window)),
                cursor=str(query.cursor),
            )
            if more:
                last = rows[-1].material
                following = _ListQuery(
                    verb=verb,
                    window=query.window,
                    set_spec=query.set_spec,
                    after=(last.updated_at, last.id),
                    cursor=query.cursor + len(rows),
                    prefix=query.prefix,
                )
                token.text = TokenCodec(config.secret).dump(following.to_token())
        return node

    def _list_query(self, verb: str, args: dict[str, str], config: OaiConfig, now: datetime) -> _ListQuery:
        if "resumptionToken" in args:
            try:
                return _ListQuery.from_token(TokenCodec(config.secret).load(args["resumptionToken"]), verb)
            except TokenError as exc:
                raise OaiError("badResumptionToken", str(exc)) from exc
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise OaiError(
                    "badResumptionToken", f"the resumption token is not valid here: {exc}"
                ) from exc
        self._check_prefix(args["metadataPrefix"])
        since: datetime | None = None
        before = now  # frozen upper bound: see the module docstring
        granularity: timedelta | None = None
        if "from" in args:
            since, granularity = parse_datestamp(args["from"], name="from")
        if "until" in args:
            until, step = parse_datestamp(args["until"], name="until")
            if granularity is not None and step != granularity:
                raise OaiError("badArgument", "'from' and 'until' must have the same granularity")
            if since is not None and until < since:
                raise OaiError("badArgument", "'from' is later than 'until'")
            before = min(before, until + step)  # inclusive at the granularity given
        set_spec = args.get("set")
        set_filter: SetFilter | None = None
        if set_spec is not None:
            if not SET_SPEC.fullmatch(set_spec):
                raise OaiError("badArgument", f"{set_spec!r} is not a setSpec")
            set_filter = parse_set(set_spec)
            if set_filter is None:
                raise OaiError("noRecordsMatch", f"this repository has no set {set_spec!r} (see ListSets)")
        return _ListQuery(
            verb=verb,
            window=Window(since=since, before=before, set=set_filter),
            set_spec=set_spec,
            after=None,
            cursor=0,
            prefix=args["metadataPrefix"],
        )

    # --- records -----------------------------------------------------------------------------

    def _check_prefix(self, prefix: str) -> None:
        if prefix not in METADATA_FORMATS:
            raise OaiError(
                "cannotDisseminateFormat",
                f"records are available as {' or '.join(map(repr, METADATA_FORMATS))}, not {prefix!r}",
            )

    def _row(self, session: Session, identifier: str, config: OaiConfig) -> Row:
        prefix = f"oai:{config.host}:"
        material_id = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
        row = OaiStore.from_session(session).record(material_id) if _UUID.fullmatch(material_id) else None
        if row is None:
            raise OaiError("idDoesNotExist", f"{identifier!r} is not an item of this repository")
        return row

    def _header(self, parent: ET.Element, row: Row, config: OaiConfig) -> ET.Element:
        material: Material = row.material
        header = _el(parent, "header", **({} if row.public else {"status": "deleted"}))
        _el(header, "identifier", oai_identifier(config.host, material.id))
        _el(header, "datestamp", datestamp(material.updated_at))
        org = organisation_of(material)
        for spec in set_specs(material.meta, org.slug if org is not None else None):
            _el(header, "setSpec", spec)
        return header

    def _record(
        self, session: Session, parent: ET.Element, row: Row, config: OaiConfig, prefix: str = METADATA_PREFIX
    ) -> None:
        record = _el(parent, "record")
        self._header(record, row, config)
        if row.public:  # a deleted record has a header only
            metadata = _el(record, "metadata")
            public = material_service.restrict_files(session, None, row.material)  # live version's files only
            export = (
                lom_for(public, base_url=config.base_url, session=session) if prefix == "oai_lom" else None
            )
            xml = export or oai_dc_for(public, base_url=config.base_url, session=session)
            metadata.append(ET.fromstring(xml))


oai = OaiService()

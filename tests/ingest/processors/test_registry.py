"""A new file type is one processor and one registration: detected, processed, named, placeheld.

The processor below is registered in one place (the fixture) and nothing else is edited: the
detector, the pipeline, the repository's media-type table and the download route all pick it up.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import process_path
from ingest.processors import registry
from ingest.processors.detect import detect_media_type
from ingest.processors.outputs import DerivativeOut, Outcome
from ingest.processors.registry import Context, MediaType, Processor, Signature
from repository import mediatypes
from repository.models import Role
from tests.factories import make_user, token_for
from tests.ingest.test_pipeline import ingest

TEST_TYPE = "application/x-hoclieu-test"
TEST_ZIP_TYPE = "application/x-hoclieu-test+zip"
MAGIC = b"HLTEST\x00\x01"


def _process(path: Path, workdir: Path, outcome: Outcome, context: Context) -> None:
    def copy() -> None:
        out = workdir / "rendition.hlt"
        out.write_text(path.read_bytes()[len(MAGIC) :].decode("utf-8").upper(), encoding="utf-8")
        outcome.derivatives.append(DerivativeOut(kind="rendition", path=out, media_type=TEST_TYPE))
        outcome.text = path.read_bytes()[len(MAGIC) :].decode("utf-8")

    context.step("hoclieu-test", copy)


@pytest.fixture
def test_type() -> Iterator[Processor]:
    processor = registry.register(
        Processor(
            name="hoclieu-test",
            handles=(TEST_TYPE, TEST_ZIP_TYPE),
            media_types=(
                MediaType(TEST_TYPE, (".hlt",), label="Thử nghiệm"),
                MediaType(TEST_ZIP_TYPE, (".hltz",)),
            ),
            signatures=(Signature(TEST_TYPE, magic=MAGIC), Signature(TEST_ZIP_TYPE, zip_member="hlt.xml")),
            process=_process,
        )
    )
    try:
        yield processor
    finally:
        registry.unregister(processor.name)


def _sample(tmp_path: Path, name: str = "bai-tap.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(MAGIC + "phân số".encode())
    return path


class TestRegisteredProcessor:
    def test_its_magic_bytes_are_detected_whatever_the_name(
        self, test_type: Processor, tmp_path: Path
    ) -> None:
        assert detect_media_type(_sample(tmp_path), "application/octet-stream", "bai-tap.bin") == TEST_TYPE

    def test_its_zip_member_marks_a_zip(self, test_type: Processor, tmp_path: Path) -> None:
        path = tmp_path / "goi.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("hlt.xml", "<hlt/>")
            zf.writestr("index.html", "<html></html>")  # would otherwise be an HTML5 package
        assert detect_media_type(path, None, path.name) == TEST_ZIP_TYPE

    def test_process_path_dispatches_to_it(self, test_type: Processor, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        outcome = process_path(_sample(tmp_path), "bai-tap.bin", None, work, lambda _f: None)
        assert outcome.media_type == TEST_TYPE
        assert outcome.text == "phân số"
        (rendition,) = [d for d in outcome.derivatives if d.kind == "rendition"]
        assert rendition.path.read_bytes() == "PHÂN SỐ".encode()
        assert "hoclieu-test" in outcome.info["timings"]
        # It made no thumbnail: the placeholder card with its type's label stands in.
        assert outcome.info["placeholder_thumbnail"] is True
        assert any(d.kind == "thumbnail" for d in outcome.derivatives)

    def test_its_media_types_join_the_repository_table(self, test_type: Processor) -> None:
        assert mediatypes.extension_for(TEST_TYPE) == ".hlt"
        assert mediatypes.guess_from_name("Bài 1.HLT") == TEST_TYPE
        assert mediatypes.label_for(TEST_TYPE) == "Thử nghiệm"
        assert mediatypes.label_for(TEST_ZIP_TYPE) == mediatypes.DEFAULT_LABEL

    def test_unregistering_forgets_it_everywhere(self, tmp_path: Path) -> None:
        registry.register(
            Processor(
                name="hoclieu-test",
                handles=(TEST_TYPE,),
                media_types=(MediaType(TEST_TYPE, (".hlt",), label="Thử nghiệm"),),
                signatures=(Signature(TEST_TYPE, magic=MAGIC),),
                process=_process,
            )
        )
        registry.unregister("hoclieu-test")
        assert detect_media_type(_sample(tmp_path), None, "bai-tap.bin") != TEST_TYPE
        assert registry.processor_for(TEST_TYPE).name == "text"
        assert mediatypes.extension_for(TEST_TYPE) is None
        assert mediatypes.guess_from_name("x.hlt") is None

    def test_a_type_already_handled_is_refused(self) -> None:
        with pytest.raises(ValueError, match="already handled"):
            registry.register(Processor(name="second-pdf", handles=("application/pdf",), process=_process))
        assert registry.processor_for("application/pdf").name == "pdf"

    def test_an_extension_naming_another_type_is_refused(self) -> None:
        with pytest.raises(ValueError, match="already names"):
            registry.register(
                Processor(
                    name="bad",
                    handles=("application/x-bad",),
                    media_types=(MediaType("application/x-bad", (".webp",)),),
                    process=_process,
                )
            )
        assert mediatypes.guess_from_name("x.webp") == "image/webp"
        assert registry.processor_for("application/x-bad").name == "text"

    def test_a_refused_registration_leaves_nothing_behind(self) -> None:
        new_row = MediaType("application/x-hoclieu-half", (".hlh",))
        with pytest.raises(ValueError, match="already in the media-type table"):
            registry.register(
                Processor(
                    name="half",
                    handles=("application/x-hoclieu-half",),
                    media_types=(new_row, MediaType("application/pdf", (".pdf",), label="Khác")),
                    process=_process,
                )
            )
        assert mediatypes.lookup("application/x-hoclieu-half") is None
        assert mediatypes.label_for("application/pdf") == "PDF"
        assert registry.processor_for("application/x-hoclieu-half").name == "text"

    def test_a_type_the_repository_knows_is_shared_not_taken(self) -> None:
        webp = mediatypes.lookup("image/webp")
        assert webp is not None
        registry.register(
            Processor(
                name="webp-too", handles=("application/x-hoclieu-w",), media_types=(webp,), process=_process
            )
        )
        registry.unregister("webp-too")
        assert mediatypes.lookup("image/webp") == webp


class TestBuiltinDispatch:
    @pytest.mark.parametrize(
        ("media_type", "name"),
        [
            ("video/mp4", "media"),
            ("audio/mpeg", "media"),
            ("image/png", "image"),
            ("application/pdf", "pdf"),
            ("application/msword", "office"),
            ("text/rtf", "office"),
            ("application/epub+zip", "epub"),
            ("application/vnd.scorm+zip", "package"),
            ("text/plain", "text"),
            ("application/octet-stream", "text"),
        ],
    )
    def test_each_type_goes_to_its_processor(self, media_type: str, name: str) -> None:
        assert registry.processor_for(media_type).name == name

    def test_only_office_documents_need_a_pdf_rendition(self) -> None:
        assert registry.processor_for("application/vnd.ms-powerpoint").pdf_rendition is not None
        assert registry.processor_for("application/pdf").pdf_rendition is None


@pytest.mark.usefixtures("test_type")
def test_an_ingested_file_of_the_new_type_downloads_under_its_extension(
    runtime, client: TestClient, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    f = ingest(runtime, _sample(tmp_path), filename="Bài tập.bin")
    assert f.status == "ready", f.error
    assert f.media_type == TEST_TYPE
    make_user(runtime, "gv_admin", Role.admin)
    headers = token_for(client, "gv_admin")
    body = client.get(f"/api/v1/materials/{f.material_id}", headers=headers).json()
    (rendition,) = [d for d in body["files"][0]["derivatives"] if d["kind"] == "rendition"]
    got = client.get(rendition["url"], headers=headers)
    assert got.status_code == 200
    assert got.content == "PHÂN SỐ".encode()
    assert ".hlt" in got.headers["content-disposition"]

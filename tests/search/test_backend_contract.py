"""One behaviour suite for every search backend (see ``conftest.py`` for which run where)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest

from repository.errors import InvalidQuery, NotFound
from search.backends.base import SearchBackend
from search.documents import SearchDocument, build_document
from search.query import SearchQuery


def material(
    ident: str, title: str, *, state: str = "approved", text: str = "", pages: Any = (), **meta: Any
) -> dict[str, Any]:
    created = meta.pop("created", datetime(2024, 1, 1, tzinfo=UTC))
    popularity = meta.pop("popularity", 0)
    return {
        "id": ident,
        "state": state,
        "created_at": created,
        "popularity": popularity,
        "version": meta.pop("version", 1),
        "metadata": {"title": title, **meta},
        "texts": [{"text": text, "pages": [list(p) for p in pages]}] if text or pages else [],
    }


CORPUS = [
    material(
        "phan-so-5",
        "Phân số",
        subjects=["toan"],
        grades=[5],
        type="bai-giang-dien-tu",
        series="ket-noi-tri-thuc",
        description="Khái niệm phân số, rút gọn và so sánh phân số.",
        created=datetime(2024, 3, 1, tzinfo=UTC),
        popularity=50,
    ),
    material(
        "hinh-tron-5",
        "Hình tròn và đường tròn",
        subjects=["toan"],
        grades=[5],
        type="phieu-hoc-tap",
        series="canh-dieu",
        description="Chu vi và diện tích hình tròn.",
        created=datetime(2024, 5, 1, tzinfo=UTC),
        popularity=10,
    ),
    material(
        "phep-cong-3",
        "Phép cộng trong phạm vi 1000",
        subjects=["toan"],
        grades=[3],
        type="phieu-hoc-tap",
        series="ket-noi-tri-thuc",
        description="Ôn tập phép cộng, chuẩn bị cho lớp 4.",
        popularity=5,
    ),
    material(
        "tap-doc-5",
        "Tập đọc: Người công dân số Một",
        subjects=["tieng-viet"],
        grades=[5],
        type="bai-giang-dien-tu",
        description="Bài tập đọc lớp 5 về Bác Hồ.",
        popularity=30,
    ),
    material(
        "nhap-toan-5",
        "Toán lớp 5 nâng cao (bản nháp)",
        state="draft",
        subjects=["toan"],
        grades=[5],
        type="phieu-hoc-tap",
        description="Phân số và hình tròn, bản nháp bí mật.",
        popularity=999,
    ),
    material(
        "ma-dan-gian",
        "Con ma trong truyện dân gian",
        subjects=["ngu-van"],
        grades=[6],
        description="Truyện kể về con ma ở làng.",
        language="vi",
    ),
    material(
        "ma-hoa",
        "Mã hóa thông tin",
        subjects=["tin-hoc"],
        grades=[10],
        description="Mã nhị phân và mã hóa văn bản.",
        language="vi",
    ),
    material(
        "ma-me", "Má của em", subjects=["tieng-viet"], grades=[2], description="Bài thơ về má.", language="vi"
    ),
    material(
        "hoc-sinh-gioi",
        "Gương học sinh giỏi",
        subjects=["giao-duc-cong-dan"],
        grades=[7],
        description="Câu chuyện về một học sinh chăm chỉ.",
    ),
    material(
        "hoc-xa-sinh",
        "Sinh hoạt dưới cờ",
        subjects=["hoat-dong-trai-nghiem"],
        grades=[7],
        description="Sinh hoạt tập thể đầu tuần; em học cách tổ chức buổi lễ.",
    ),
    material(
        "pt-bac-hai",
        "Phương trình bậc hai một ẩn",
        subjects=["toan"],
        grades=[9],
        description="Giải phương trình bậc hai bằng công thức nghiệm.",
        created=datetime(2023, 1, 1, tzinfo=UTC),
    ),
    material(
        "pt-bac-nhat",
        "Phương trình bậc nhất",
        subjects=["toan"],
        grades=[8],
        description="Phương trình và hệ số; bậc của đa thức, hai ví dụ có lời giải.",
    ),
    material(
        "xss",
        "An toàn <script>alert(1)</script> trên mạng",
        subjects=["tin-hoc"],
        grades=[8],
        description="Thẻ <script> chạy mã độc khi trang web không lọc đầu vào.",
    ),
    material(
        "quang-hop",
        "Sinh học 11: Trao đổi chất",
        subjects=["sinh-hoc"],
        grades=[11],
        pages=[
            (1, "Mở đầu chương trao đổi chất ở thực vật."),
            (2, "Bài 5. Hô hấp ở thực vật."),
            (3, "Quang hợp là quá trình tổng hợp chất hữu cơ nhờ năng lượng ánh sáng."),
        ],
    ),
]


@pytest.fixture
def loaded(backend: SearchBackend) -> SearchBackend:
    backend.index(build_document(m) for m in CORPUS)
    backend.refresh()
    return backend


def ids(backend: SearchBackend, text: str = "", **kw: Any) -> list[str]:
    return [h.id for h in backend.search(SearchQuery(text, **kw)).hits]


class TestCurriculumQueries:
    @pytest.mark.relevance
    @pytest.mark.parametrize(
        "text",
        ["toan lop 5", "Toán lớp 5", "TOÁN LỚP 5", unicodedata.normalize("NFD", "Toán lớp 5"), "toán L5"],
    )
    def test_grade5_maths_first_however_typed(self, loaded: SearchBackend, text: str) -> None:
        assert set(ids(loaded, text)[:2]) == {"phan-so-5", "hinh-tron-5"}

    def test_same_results_with_and_without_accents(self, loaded: SearchBackend) -> None:
        variants = ["toan lop 5", "Toán lớp 5", "TOÁN LỚP 5", unicodedata.normalize("NFD", "Toán lớp 5")]
        results = [set(ids(loaded, v)) for v in variants]
        assert all(r == results[0] for r in results)
        assert {"phan-so-5", "hinh-tron-5"} <= results[0]

    @pytest.mark.relevance
    def test_subject_aliases(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "GDCD")[0] == "hoc-sinh-gioi"
        assert ids(loaded, "Toán học 9")[0] == "pt-bac-hai"

    @pytest.mark.relevance
    @pytest.mark.parametrize("text", ["Lịch sử lớp 8", "lich su lop 8", "Tin học lớp 3"])
    def test_subject_as_taught_at_the_named_grade(self, backend: SearchBackend, text: str) -> None:
        # At grade 8 history is taught as "Lịch sử và Địa lí", at grade 3 computing as "Tin học
        # và Công nghệ": a lesson *of* that grade and subject outranks materials of the subject
        # at another grade that mention "lớp 8" / "lớp 3" in their text.
        backend.index(
            build_document(m)
            for m in (
                material("ls-8", "Bài 5. Công xã Pa-ri 1871", subjects=["lich-su-va-dia-li"], grades=[8]),
                material("th-3", "Bài 2: Xử lí thông tin", subjects=["tin-hoc-va-cong-nghe"], grades=[3]),
                *(
                    material(
                        f"ls-12-{n}",
                        f"Câu {n}: lịch sử lớp 8, lớp 3 và tin học",
                        subjects=["lich-su", "tin-hoc"],
                        grades=[12],
                        description="Lịch sử, tin học: học sinh lớp 8 và lớp 3 ôn tập lịch sử, tin học.",
                    )
                    for n in (3, 8)
                ),
            )
        )
        backend.refresh()
        assert ids(backend, text)[0] == ("th-3" if "3" in text else "ls-8")

    def test_equal_scores_in_the_same_order_however_the_index_was_built(self, backend: SearchBackend) -> None:
        # Thirty materials that score alike for "toán lớp 5": which of them fill the first page
        # must not depend on the order they were indexed in (a rebuilt index, another thread).
        tied = [
            material(f"toan-5-{n:02d}", "Bài tập", subjects=["toan"], grades=[5], description="Luyện tập.")
            for n in range(30)
        ]
        pages = []
        for order in (tied, tied[::-1], tied[7:] + tied[:7]):
            backend.reindex(build_document(m) for m in order)
            backend.refresh()
            pages.append([ids(backend, "toán lớp 5", size=5), ids(backend, "toán lớp 5", size=5, page=2)])
        assert pages[0] == pages[1] == pages[2]
        assert not set(pages[0][0]) & set(pages[0][1])


class TestVietnameseMatching:
    @pytest.mark.parametrize("text", ["Ørsted", "orsted", "Straße", "strasse", "Æsop", '"thí nghiệm ørsted"'])
    def test_letters_without_marks_to_strip_fold_as_indexed(self, backend: SearchBackend, text: str) -> None:
        # "ø", "ß", "æ" have no decomposition: the engines fold them to "o", "ss", "ae", so a
        # query typed with them must too (it found nothing).
        backend.index(
            [
                build_document(
                    material("orsted", "Thí nghiệm Ørsted", description="Ørsted, Straße, Æsop và từ trường.")
                ),
                build_document(material("khac", "Thí nghiệm khác", description="Từ trường của Trái Đất.")),
            ]
        )
        backend.refresh()
        assert ids(backend, text) == ["orsted"]

    @pytest.mark.relevance
    @pytest.mark.parametrize(("text", "first"), [("mã", "ma-hoa"), ("má", "ma-me"), ("ma", None)])
    def test_accented_query_ranks_exact_accent_first(
        self, loaded: SearchBackend, text: str, first: str | None
    ) -> None:
        found = ids(loaded, text)
        assert {"ma-hoa", "ma-me", "ma-dan-gian"} <= set(found)
        if first:
            assert found[0] == first

    @pytest.mark.relevance
    @pytest.mark.parametrize("text", ["hóa", "hoá", "HÓA", "hóa chất", "hoá chất"])
    def test_either_tone_placement_counts_as_an_exact_match(self, backend: SearchBackend, text: str) -> None:
        # "hóa" (old style) and "hoá" (new style) are one word: both documents get the exact-accent
        # boost and rank above "hoa" (flower), which only matches folded, however often it says it.
        backend.index(
            build_document(m)
            for m in (
                material("hoa-moi", "Hoá chất trong phòng thí nghiệm"),
                material("hoa-cu", "Hóa chất và sức khỏe"),
                material("hoa-hong", "Hoa hồng, hoa cúc, hoa lan: hoa chất đầy vườn"),
            )
        )
        backend.refresh()
        found = ids(backend, text)
        assert set(found[:2]) == {"hoa-moi", "hoa-cu"}
        assert found[2] == "hoa-hong"

    @pytest.mark.relevance
    @pytest.mark.parametrize(
        ("text", "first"), [("thủy điện", "thuy"), ("thuỷ điện", "thuy"), ("khoẻ", "khoe")]
    )
    def test_tone_placement_in_uy_and_oe(self, backend: SearchBackend, text: str, first: str) -> None:
        backend.index(
            build_document(m)
            for m in (
                material("thuy", "Nhà máy thuỷ điện Hoà Bình"),
                material("thu-dien", "Thu điện, thu điện thoại, thu điện tử"),
                material("khoe", "Sức khỏe học đường"),
                material("khoe-khoang", "Khoe, khoe khoang, khoe"),
            )
        )
        backend.refresh()
        assert ids(backend, text)[0] == first

    @pytest.mark.parametrize(
        ("text", "written", "twin"),
        [
            ("vật lý", "Vật lí", "lí"),
            ("vat li", "Vật lý", "lý"),
            ("kỹ năng sống", "Kĩ năng sống", "Kĩ"),
            ("mi thuat", "Mỹ thuật", "Mỹ"),
            ("học kỳ", "học kì", "kì"),
            ('"học kỳ hai"', "học kì hai", "kì"),
            ("tỉ lệ", "Tỷ lệ", "Tỷ"),
            ("quý", "quí", "quí"),
        ],
    )
    def test_either_i_y_spelling_finds_the_other(
        self, backend: SearchBackend, text: str, written: str, twin: str
    ) -> None:
        # "lý" / "lí", "kỹ" / "kĩ", "mỹ" / "mĩ" are one word in two spellings (the 2018 textbooks
        # write "i", much else "y"): a material in either is found by the other, in its title, its
        # body, and by a quoted phrase; the word is highlighted as written.
        backend.index(
            build_document(m)
            for m in (
                material("title", f"{written} cho học sinh", description="Tài liệu ôn tập."),
                material("body", "Tài liệu ôn tập", text=f"Bài này nói về {written} cho học sinh."),
                material("other", "Thuyết trình về thiên nhiên", description="Tài liệu ôn tập cho lớp."),
            )
        )
        backend.refresh()
        result = backend.search(SearchQuery(text))
        found = [h.id for h in result.hits]
        assert found[:2] == ["title", "body"]
        assert "other" not in found
        snippet = next(h.snippet for h in result.hits if h.id == "body")
        assert f"<mark>{twin}</mark>" in snippet

    @pytest.mark.relevance
    @pytest.mark.parametrize(
        ("text", "first"), [("kỳ thi", "y"), ("kì thi", "i"), ("ky thi", "y"), ("ki thi", "i")]
    )
    def test_the_spelling_typed_ranks_first(self, backend: SearchBackend, text: str, first: str) -> None:
        # Both spellings match; the one the query is written in ranks first, as exact accents do.
        backend.index(
            build_document(m)
            for m in (material("y", "Lịch kỳ thi học sinh giỏi"), material("i", "Lịch kì thi học sinh giỏi"))
        )
        backend.refresh()
        assert ids(backend, text) == [first, "i" if first == "y" else "y"]

    @pytest.mark.relevance
    @pytest.mark.parametrize("text", ["kĩ và năng", "ki va nang"])
    def test_a_word_the_index_holds_only_in_its_other_spelling_counts_as_rare(
        self, backend: SearchBackend, text: str
    ) -> None:
        # No text writes "kĩ": the word is as rare as "kỹ", not a word of no weight, so the
        # material holding it (and "năng") outranks one that only says "năng" often.
        backend.index(
            build_document(m)
            for m in (
                material("twin", "Bài đọc thêm", text="Rèn luyện kỹ năng giao tiếp ở trường."),
                material("often", "Bài đọc thêm", text="Năng lượng, năng suất, năng động, năng khiếu."),
                *(material(f"other-{i}", f"Tài liệu {i}", text="Một bài học lịch sử.") for i in range(20)),
            )
        )
        backend.refresh()
        assert ids(backend, text)[:2] == ["twin", "often"]

    def test_other_onsets_and_english_words_keep_their_spelling(self, backend: SearchBackend) -> None:
        # Only the onsets whose syllables alternate: "thủy" is not "thủi", "try" is not "tri".
        backend.index(
            build_document(m)
            for m in (
                material("thuy", "Thủy điện"),
                material("tri", "Tri thức"),
                material("try", "Try again"),
            )
        )
        backend.refresh()
        assert ids(backend, "thui") == []
        assert ids(backend, "try") == ["try"]
        assert ids(backend, "tri") == ["tri"]

    def test_accent_free_query_matches_accented_docs(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "duong tron") == ["hinh-tron-5"]
        assert "pt-bac-hai" in ids(loaded, "phuong trinh bac hai")

    @pytest.mark.relevance
    def test_adjacent_syllables_rank_first(self, loaded: SearchBackend) -> None:
        found = ids(loaded, "học sinh")
        assert found[0] == "hoc-sinh-gioi"
        assert "hoc-xa-sinh" in found

    def test_phrase(self, loaded: SearchBackend) -> None:
        assert ids(loaded, '"bậc hai"') == ["pt-bac-hai"]
        assert set(ids(loaded, "bac hai")) >= {"pt-bac-hai", "pt-bac-nhat"}

    @pytest.mark.parametrize(
        ("field", "text"),
        [
            ("title", "Ôn tập: bậc hai, bậc ba"),
            ("lesson", "Ôn tập: bậc hai, bậc ba"),
            ("keywords", "ôn tập: bậc hai, bậc ba"),
            ("description", "Nghiệm của phương trình bậc\nhai. Bậc ba: ví dụ."),
            ("body", "Phương trình bậc – hai (…) bậc ba."),
        ],
    )
    def test_a_phrase_matches_across_punctuation_in_every_field(
        self, backend: SearchBackend, field: str, text: str
    ) -> None:
        # The embedded engine looks a phrase up by its adjacent pairs, which must hold every
        # place the phrase query matches: between words separated by punctuation or a line too.
        meta: dict[str, Any] = {field: [text] if field == "keywords" else text}
        if field != "title":
            meta["title"] = "Tài liệu ôn tập"
        backend.index(
            [
                build_document(material("doc", meta.pop("title"), **meta))
                if field != "body"
                else build_document(material("doc", "Tài liệu ôn tập", text=text)),
                build_document(material("apart", "Bậc thang", description="Hai bạn leo bậc thang. Ba bạn.")),
            ]
        )
        backend.refresh()
        assert ids(backend, '"bậc hai"') == ["doc"]
        assert ids(backend, '"hai bac ba"') == ["doc"]
        assert ids(backend, 'bậc -"bậc hai"') == ["apart"]

    def test_a_phrase_of_long_words_and_other_spellings(self, backend: SearchBackend) -> None:
        long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis"  # 45 letters: no pair indexed
        backend.index(
            [
                build_document(material("dai", "Từ dài", description=f"Từ {long_word} là một từ dài.")),
                build_document(material("hoc-ky", "Lịch thi", description="Kết thúc học kỳ hai, nghỉ hè.")),
            ]
        )
        backend.refresh()
        assert ids(backend, '"từ dài"') == ["dai"]
        assert ids(backend, '"học kì hai"') == ["hoc-ky"]
        assert ids(backend, '"hoc ky hai nghi"') == ["hoc-ky"]

    def test_exclusion(self, loaded: SearchBackend) -> None:
        assert "pt-bac-nhat" in ids(loaded, "phuong trinh")
        without = ids(loaded, "phuong trinh -nhất")
        assert without[0] == "pt-bac-hai"
        assert "pt-bac-nhat" not in without
        without_phrase = ids(loaded, 'phương trình -"bậc hai"')
        assert without_phrase[0] == "pt-bac-nhat"
        assert "pt-bac-hai" not in without_phrase

    def test_did_you_mean_is_built_from_public_text_only(self, loaded: SearchBackend) -> None:
        # Issue 9: a word only a draft holds ("phuonk", many times) must not change the
        # suggestion, even for a curator's search that lists drafts.
        before = loaded.search(SearchQuery("phuonq trinh", public_only=False)).suggestion
        draft = material("nhap-phuonk", "Phuonk phuonk trình", state="draft", description="phuonk " * 20)
        loaded.index([build_document(draft)])
        loaded.refresh()
        curator = loaded.search(SearchQuery("phuonq trinh", public_only=False))
        assert "nhap-phuonk" in [h.id for h in curator.hits]
        assert curator.suggestion == before == "phương trình"
        assert loaded.search(SearchQuery("phuonq trinh")).suggestion == "phương trình"

    def test_typo_tolerance_and_suggestion(self, loaded: SearchBackend) -> None:
        result = loaded.search(SearchQuery("phuonq trinh"))
        assert result.hits
        assert result.hits[0].id in {"pt-bac-hai", "pt-bac-nhat"}
        assert result.suggestion == "phương trình"
        exact = loaded.search(SearchQuery("phương trình"))
        assert exact.suggestion is None


class TestRankedMatching:
    """Issue 10: a material matching some of the words is a candidate; covering more ranks higher."""

    def test_a_word_no_material_holds_does_not_empty_the_result(self, loaded: SearchBackend) -> None:
        found = ids(loaded, "phương trình bậc hai giải như thế nào vậy")
        assert found[0] == "pt-bac-hai"

    def test_zero_result_guarantee_when_any_word_is_indexed(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "zzqxv wvvkk quang") == ["quang-hop"]
        assert ids(loaded, "zzqxv wvvkk") == []

    @pytest.mark.relevance
    def test_covering_more_distinct_words_ranks_higher(self, backend: SearchBackend) -> None:
        backend.index(
            build_document(m)
            for m in (
                material("all", "Ôn tập", description="Cách giải phương trình bậc hai có tham số."),
                material("some", "Phương trình bậc nhất", description="Phương trình, phương trình, bậc."),
                material("one", "Hai hai hai", description="Bài hát hai bè, hai giọng, hai lần."),
                material("none", "Thơ lục bát", description="Không có từ nào của câu hỏi."),
            )
        )
        backend.refresh()
        found = ids(backend, "giải phương trình bậc hai")
        assert found == ["all", "some", "one"]

    @pytest.mark.relevance
    @pytest.mark.parametrize("text", ["quang hợp là gì", "quang hop la gi", "ai giải thích quang hợp vậy ạ"])
    def test_question_words_neither_exclude_nor_dominate(self, backend: SearchBackend, text: str) -> None:
        backend.index(
            build_document(m)
            for m in (
                material("quang-hop", "Quang hợp ở thực vật", description="Quá trình tổng hợp chất hữu cơ."),
                material("gi", "Gì? Ai? Là gì? Ai là ai?", description="Trò chơi đố vui: ai, gì, là gì."),
            )
        )
        backend.refresh()
        assert ids(backend, text)[0] == "quang-hop"

    @pytest.mark.relevance
    def test_curriculum_words_in_a_question_stay_strong(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "cho em hỏi tài liệu toán lớp 5 ở đâu")[:2] in (
            ["phan-so-5", "hinh-tron-5"],
            ["hinh-tron-5", "phan-so-5"],
        )

    @staticmethod
    def _phan_so(backend: SearchBackend) -> None:
        backend.index(
            build_document(m)
            for m in (
                material("phan-so", "Ôn tập", description="Khái niệm phân số và phép cộng phân số."),
                material("phan-mem", "Phần mềm So sánh", description="Phần mềm giúp so sánh hai tệp."),
                material("nhi-phan", "Hệ nhị phân", description="Số nhị phân gồm 0 và 1."),
                material("tham-so", "Tham số của hàm", description="Tham số và đối số."),
            )
        )
        backend.refresh()

    @pytest.mark.relevance
    def test_accented_query_puts_exact_words_first(self, backend: SearchBackend) -> None:
        # Issue 16: "phân số" ranked "nhị phân"/"tham số" among the first hits.
        self._phan_so(backend)
        found = ids(backend, "phân số")
        assert found[0] == "phan-so"
        assert found.index("phan-mem") > found.index("nhi-phan")

    def test_accented_query_marks_only_words_with_those_accents(self, backend: SearchBackend) -> None:
        # Issue 16: a search for "phân số" highlighted "phần" and "So".
        self._phan_so(backend)
        hits = backend.search(SearchQuery("phân số")).hits
        marked = {m.lower() for h in hits for m in re.findall(r"<mark>(.*?)</mark>", h.snippet)}
        assert marked == {"phân", "số"}
        # Without accents every folded match is marked.
        loose = backend.search(SearchQuery("phan so")).hits
        marked = {m.lower() for h in loose for m in re.findall(r"<mark>(.*?)</mark>", h.snippet)}
        assert {"phần", "so"} <= marked

    def test_paging_through_re_ranked_results_shows_each_material_once(
        self, backend: SearchBackend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from search import semantic

        backend.index(
            # Texts of different lengths: distinct scores (the engines order equal scores as
            # they like, which no paging can make consistent). One in three writes the words
            # with other accents.
            build_document(
                material(
                    f"m{i:02d}",
                    f"Bài {i}: lá cây",
                    description=("Là cày có mầu xanh. " if i % 3 else "Lá cây có màu xanh. ")
                    + "Đọc thêm. " * i,
                )
            )
            for i in range(60)
        )
        backend.refresh()
        # Typed without accents, the first 40 candidates are ranked again as the texts spell it
        # (search.semantic.RESPELL), the rest keep their places.
        monkeypatch.setattr(semantic, "RESPELL", 40)
        # A search of four words or more is re-ranked deeper (search.semantic.DEPTH) than a
        # shorter one (search.rerank.DEPTH): pages of 7 end inside either depth.
        for text in ("lá cây xanh", "vì sao lá cây có màu xanh?", "vi sao la cay co mau xanh"):
            everything = ids(backend, text, size=100)
            pages = [ids(backend, text, size=7, page=p) for p in range(1, 10)]
            flat = [i for page in pages for i in page]
            assert len(flat) == len(set(flat)) == 60
            assert flat == everything


class TestApproximateCounts:
    """A broad query's counts cost a bounded amount of work; what is not exact says so."""

    @pytest.fixture
    def small_bounds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from search.backends import embedded, opensearch

        monkeypatch.setattr(embedded, "FACET_SAMPLE", 10)
        monkeypatch.setattr(embedded, "FACET_BROAD", 5)
        monkeypatch.setattr(opensearch, "TOTAL_BOUND", 10)

    def _index(self, backend: SearchBackend) -> None:
        backend.index(
            build_document(
                material(f"bt-{i}", f"Bài tập toán số {i}", grades=[5 if i < 25 else 6], subjects=["toan"])
            )
            for i in range(40)
        )
        backend.refresh()

    def test_broad_query_is_exact_or_says_it_is_not(self, backend: SearchBackend, small_bounds: None) -> None:
        self._index(backend)
        result = backend.search(SearchQuery("bài tập toán", size=5))
        assert result.total_approximate or result.facets_approximate  # the bound applied
        if result.total_approximate:
            assert 10 <= result.total <= 40
        else:
            assert result.total == 40
        grades = {f.value: f.count for f in result.facets["grade"]}
        if result.facets_approximate:
            assert sum(grades.values()) == 10
            assert set(grades) <= {"5", "6"}
        else:
            assert grades == {"5": 25, "6": 15}
        assert len(result.hits) == 5

    def test_narrow_query_is_exact(self, backend: SearchBackend, small_bounds: None) -> None:
        self._index(backend)
        result = backend.search(SearchQuery("7"))
        assert not result.total_approximate
        assert not result.facets_approximate
        assert result.hits[0].id == "bt-7"
        # A facet with its own filter active is counted over every match, even for a broad query.
        filtered = backend.search(SearchQuery("bài tập toán", grades=[6]))
        assert {f.value: f.count for f in filtered.facets["grade"]} == {"5": 25, "6": 15}
        assert filtered.total == 15 or (filtered.total_approximate and filtered.total >= 10)

    def test_without_bounds_counts_are_exact(self, backend: SearchBackend) -> None:
        self._index(backend)
        result = backend.search(SearchQuery("bài tập toán"))
        assert (result.total, result.total_approximate, result.facets_approximate) == (40, False, False)
        assert {f.value: f.count for f in result.facets["grade"]} == {"5": 25, "6": 15}


CHANGES = ("take-down", "delete", "replace", "reindex", "clear", "new")


class TestNoStaleResults:
    """Every kind of index change shows in the next search of a query already asked (and so
    possibly served from a result cache): a taken-down material never comes back."""

    @pytest.mark.parametrize("change", CHANGES)
    def test_every_index_change_shows_in_a_repeated_query(self, loaded: SearchBackend, change: str) -> None:
        before = [loaded.search(SearchQuery("quang hợp")) for _ in range(2)]
        assert before[0] == before[1]
        assert before[0].hits[0].id == "quang-hop"
        quang = next(m for m in CORPUS if m["id"] == "quang-hop")
        if change == "take-down":
            loaded.index([build_document(quang | {"state": "draft", "version": 2})])
        elif change == "delete":
            loaded.delete(["quang-hop"])
        elif change == "replace":
            loaded.index([build_document(quang | {"metadata": {**quang["metadata"], "title": "Hô hấp"}})])
        elif change == "reindex":
            loaded.reindex(build_document(m) for m in CORPUS if m["id"] != "quang-hop")
        elif change == "clear":
            loaded.clear()
        else:
            loaded.index([build_document(material("moi", "Quang hợp ở cây xanh"))])
        loaded.refresh()
        after = loaded.search(SearchQuery("quang hợp"))
        found = [h.id for h in after.hits]
        if change == "new":
            assert "moi" in found
            assert after.total == before[0].total + 1
        elif change == "replace":
            assert next(h.title for h in after.hits if h.id == "quang-hop") == "Hô hấp"
        else:
            assert "quang-hop" not in found
            assert after.total == before[0].total - 1 if change != "clear" else after.total == 0
            assert all(f.value != "sinh-hoc" for f in after.facets["subject"])


class TestVisibility:
    def test_drafts_never_in_hits_counts_or_facets(self, loaded: SearchBackend) -> None:
        result = loaded.search(SearchQuery("toan lop 5 nang cao ban nhap"))
        assert "nhap-toan-5" not in [h.id for h in result.hits]
        everything = loaded.search(SearchQuery("", size=100))
        assert "nhap-toan-5" not in [h.id for h in everything.hits]
        assert everything.total == len(CORPUS) - 1
        toan = {f.value: f.count for f in everything.facets["subject"]}
        assert toan["toan"] == 5

    def test_drafts_never_suggested_or_related(self, loaded: SearchBackend) -> None:
        assert all(s.id != "nhap-toan-5" for s in loaded.suggest("toan lop 5 nang"))
        assert all(h.id != "nhap-toan-5" for h in loaded.related("phan-so-5"))
        with pytest.raises(NotFound):
            loaded.related("nhap-toan-5")

    def test_trusted_callers_see_drafts(self, loaded: SearchBackend) -> None:
        assert "nhap-toan-5" in ids(loaded, "ban nhap", public_only=False)
        assert loaded.count() == len(CORPUS)
        assert loaded.count(public_only=True) == len(CORPUS) - 1


class TestFacets:
    def test_facet_counts_respect_other_filters_not_their_own(self, loaded: SearchBackend) -> None:
        result = loaded.search(SearchQuery("", subjects=["toan"], grades=[5]))
        assert {h.id for h in result.hits} == {"phan-so-5", "hinh-tron-5"}
        subjects = {f.value: f.count for f in result.facets["subject"]}
        assert subjects == {"toan": 2, "tieng-viet": 1}  # grade filter kept, subject filter dropped
        grades = {f.value: f.count for f in result.facets["grade"]}
        assert grades == {"5": 2, "3": 1, "9": 1, "8": 1}  # subject filter kept, grade filter dropped
        types = {f.value: f.count for f in result.facets["type"]}
        assert types == {"bai-giang-dien-tu": 1, "phieu-hoc-tap": 1}

    def test_filters_combine(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "", series=["ket-noi-tri-thuc"], types=["phieu-hoc-tap"]) == ["phep-cong-3"]
        assert set(ids(loaded, "", languages=["vi"])) == {"ma-dan-gian", "ma-hoa", "ma-me"}


class TestWrites:
    def test_reindex_same_id_replaces(self, loaded: SearchBackend) -> None:
        changed = material("phan-so-5", "Số thập phân", subjects=["toan"], grades=[5], version=2)
        loaded.index([build_document(changed)])
        loaded.index([build_document(changed)])
        loaded.refresh()
        assert ids(loaded, "rút gọn") == []
        assert ids(loaded, "thap phan")[0] == "phan-so-5"
        assert ids(loaded, '"thap phan"') == ["phan-so-5"]
        assert loaded.count() == len(CORPUS)
        assert loaded.versions()["phan-so-5"] == 2

    def test_delete_removes_material_and_pages(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "quang hop") == ["quang-hop"]
        loaded.delete(["quang-hop", "does-not-exist"])
        loaded.refresh()
        assert ids(loaded, "quang hop") == []
        assert "quang-hop" not in loaded.versions()

    def test_reindex_replaces_everything(self, loaded: SearchBackend) -> None:
        loaded.reindex([build_document(CORPUS[0])])
        loaded.refresh()
        assert loaded.versions() == {"phan-so-5": 1}

    def test_clear(self, loaded: SearchBackend) -> None:
        loaded.clear()
        loaded.refresh()
        assert loaded.count() == 0


class TestResults:
    def test_snippets_escape_html_and_mark_accented_text(self, loaded: SearchBackend) -> None:
        hit = loaded.search(SearchQuery("script")).hits[0]
        assert hit.id == "xss"
        assert "<script>" not in hit.snippet
        assert "&lt;" in hit.snippet
        assert "<mark>script</mark>" in hit.snippet
        hit = loaded.search(SearchQuery("duong tron")).hits[0]
        assert "<mark>" in hit.snippet
        assert "tròn" in hit.snippet

    def test_pages_list_best_matching_pages(self, loaded: SearchBackend) -> None:
        hit = loaded.search(SearchQuery("quang hợp")).hits[0]
        assert hit.id == "quang-hop"
        assert hit.pages
        assert hit.pages[0][0] == 3
        assert "<mark>Quang</mark>" in hit.pages[0][1]

    @pytest.mark.relevance
    def test_pages_of_every_hit_even_when_one_material_has_many(self, backend: SearchBackend) -> None:
        # "many" has 30 pages that all match better than any page of "few": the page hits of a
        # result list must still give "few" its own pages and "many" its best three.
        # Same length, more "quang hợp" on later pages: page 30 matches best, then 29, 28.
        many = [(n, " ".join(["quang hợp"] * n + ["lá cây"] * (30 - n))) for n in range(1, 31)]
        few = [(1, "Bài đọc thêm: quang hợp ở lá cây xanh."), (2, "Không liên quan."), (3, "quang hợp")]
        backend.index(
            [
                build_document(material("many", "Quang hợp, sách giáo khoa", text="", pages=many)),
                build_document(material("few", "Quang hợp ở thực vật", text="", pages=few)),
            ]
        )
        backend.refresh()
        hits = {h.id: h for h in backend.search(SearchQuery("quang hợp", size=2)).hits}
        assert set(hits) == {"many", "few"}
        assert [p for p, _ in hits["many"].pages] == [30, 29, 28]
        assert sorted(p for p, _ in hits["few"].pages) == [1, 3]
        assert all("<mark>" in snippet for _, snippet in hits["few"].pages)

    def test_sort_newest_and_popular(self, loaded: SearchBackend) -> None:
        assert ids(loaded, "", subjects=["toan"], sort="newest")[:2] == ["hinh-tron-5", "phan-so-5"]
        assert ids(loaded, "", subjects=["toan"], sort="popular")[:3] == [
            "phan-so-5",
            "hinh-tron-5",
            "phep-cong-3",
        ]

    def test_paging(self, loaded: SearchBackend) -> None:
        pages = [ids(loaded, "", sort="popular", size=4, page=p) for p in (1, 2, 3, 4)]
        flat = [i for p in pages for i in p]
        assert len(flat) == len(set(flat)) == len(CORPUS) - 1
        assert loaded.search(SearchQuery("", size=4, page=2)).total == len(CORPUS) - 1

    def test_suggest_with_and_without_accents(self, loaded: SearchBackend) -> None:
        for prefix in ("phương tr", "phuong tr"):
            texts = [s.text for s in loaded.suggest(prefix)]
            assert "Phương trình bậc hai một ẩn" in texts
        assert any(s.kind == "subject" and s.value == "toan" for s in loaded.suggest("toa"))

    def test_suggest_in_either_i_y_spelling(self, backend: SearchBackend) -> None:
        # "ky nang" completes to a title written "Kĩ năng", "vật lý" to the subject "Vật lí".
        backend.index(
            build_document(m)
            for m in (
                material("kn", "Kĩ năng sống cho học sinh", subjects=["hoat-dong-trai-nghiem"], grades=[3]),
                material("cd", "Chuyển động thẳng đều", subjects=["vat-li"], grades=[10]),
            )
        )
        backend.refresh()
        for prefix in ("ky nang", "kỹ năng s", "KĨ NĂNG", "ki"):
            assert "Kĩ năng sống cho học sinh" in [s.text for s in backend.suggest(prefix)], prefix
        for prefix in ("vật lý", "vat ly", "vat li", "vật l"):
            found = backend.suggest(prefix)
            assert any(s.kind == "subject" and s.value == "vat-li" for s in found), prefix
        assert backend.suggest("ky nangz") == []

    def test_related_in_either_i_y_spelling(self, backend: SearchBackend) -> None:
        # "Tỉ lệ" and "Tỷ số" share a word, written two ways.
        backend.index(
            build_document(m)
            for m in (
                material("ti", "Tỉ lệ bản đồ"),
                material("ty", "Tỷ số phần trăm"),
                material("x", "Khí hậu"),
            )
        )
        backend.refresh()
        assert [h.id for h in backend.related("ti")] == ["ty"]

    def test_related(self, loaded: SearchBackend) -> None:
        related = [h.id for h in loaded.related("pt-bac-hai")]
        assert related
        assert related[0] == "pt-bac-nhat"
        assert "pt-bac-hai" not in related


class TestMalformedInput:
    @pytest.mark.parametrize(
        "text",
        ['toán "lớp', "c++ (", "AND", "*", "OR NOT", ")(][", "title:x", "-", '""', "á" * 200, "toán " * 150],
    )
    def test_never_raises_unexpected(self, loaded: SearchBackend, text: str) -> None:
        try:
            result = loaded.search(SearchQuery(text))
        except InvalidQuery:
            return
        assert result.total >= 0

    def test_bad_paging_and_sort_are_invalid_query(self) -> None:
        with pytest.raises(InvalidQuery):
            SearchQuery("x", page=0)
        with pytest.raises(InvalidQuery):
            SearchQuery("x", sort="random")
        with pytest.raises(InvalidQuery):
            SearchQuery("x", page=500, size=100)
        with pytest.raises(InvalidQuery):
            SearchQuery("x" * 5000)
        assert SearchQuery("x", size=1000).size == 100


def test_build_document_projection() -> None:
    doc = build_document(
        material("x", unicodedata.normalize("NFD", "Toán"), state="submitted", pages=[(1, "a"), (2, "b")])
    )
    assert isinstance(doc, SearchDocument)
    assert doc.title == "Toán"
    assert not doc.public
    assert doc.pages == [(1, "a"), (2, "b")]
    assert doc.body == "a\nb"

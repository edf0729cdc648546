# ruff: noqa: RUF001 - the texts use real typography (multiplication and minus signs, en dashes)
"""The texts of the demo materials that ``hoclieu demo`` loads.

Everything here was written for Hoclieu (the folk verses quoted in the literature handout are
anonymous *ca dao*, in the public domain). ``ingest.sources.demo`` turns each ``Spec`` into a
file: the file format follows the filename's extension, and ``kind`` picks the renderer for the
formats that are drawn rather than typeset (video, audio, images).

A document is a tuple of blocks ``(kind, text)``:

* ``h1`` title, ``h2`` section heading, ``p`` paragraph, ``li`` bullet item;
* ``break`` starts a new page (PDF) and is ignored by the flowing formats;
* ``table`` inserts ``Spec.tables[int(text)]`` (first row is the header).

All strings are NFC (``tests/ingest/test_demo.py`` checks it): decomposed Vietnamese would not
match what people type into the search box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Block = tuple[str, str]
Table = tuple[tuple[str, ...], ...]

AUTHOR = "Nhóm biên soạn học liệu mẫu Hoclieu"


@dataclass(frozen=True)
class Slide:
    """One slide of a deck or one scene of the demo video."""

    title: str
    lines: tuple[str, ...] = ()
    figure: str = ""  # a drawing the video renderer adds, e.g. "triangle"
    seconds: float = 3.0  # on-screen time in the video


@dataclass(frozen=True)
class Spec:
    """One demo material: its file name, its metadata and its content."""

    filename: str
    metadata: dict[str, Any]
    kind: str = "document"  # document | deck | video | audio | water-cycle | photosynthesis
    blocks: tuple[Block, ...] = ()
    slides: tuple[Slide, ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)


def _meta(
    title: str,
    *,
    description: str,
    grades: list[int],
    subjects: list[str],
    type: str,  # the metadata field is called "type"
    series: str,
    volume: int | None = None,
    chapter: str | None = None,
    lesson: str | None = None,
    audience: tuple[str, ...] = ("hoc-sinh",),
    language: str = "vi",
    keywords: tuple[str, ...] = (),
    outcomes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build a metadata document; the level follows from the first grade."""
    first = min(grades)
    level = "tieu-hoc" if first <= 5 else "thcs" if first <= 9 else "thpt"
    doc: dict[str, Any] = {
        "title": title,
        "description": description,
        "grades": grades,
        "level": level,
        "subjects": subjects,
        "series": series,
        "type": type,
        "audience": list(audience),
        "language": language,
        "license": "CC-BY-4.0",
        "authors": [{"name": AUTHOR}],
        "keywords": list(keywords),
        "outcomes": list(outcomes),
    }
    if volume is not None:
        doc["volume"] = volume
    if chapter is not None:
        doc["chapter"] = chapter
    if lesson is not None:
        doc["lesson"] = lesson
    return doc


# --------------------------------------------------------------------------------------------
# Grade 5 mathematics
# --------------------------------------------------------------------------------------------

TRIANGLE_VIDEO = Spec(
    filename="toan-5-dien-tich-hinh-tam-giac.mp4",
    kind="video",
    metadata=_meta(
        "Diện tích hình tam giác",
        description=(
            "Video bài giảng ngắn: nhận biết đáy và chiều cao của hình tam giác, công thức "
            "S = a × h : 2 và một ví dụ tính diện tích."
        ),
        grades=[5],
        subjects=["toan"],
        type="video-bai-giang",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 4: Một số hình phẳng",
        lesson="Bài 19: Diện tích hình tam giác",
        keywords=("diện tích", "hình tam giác", "đáy", "chiều cao", "toán lớp 5"),
        outcomes=(
            "Nhận biết đáy và chiều cao tương ứng của hình tam giác.",
            "Tính được diện tích hình tam giác.",
        ),
    ),
    slides=(
        Slide("Diện tích hình tam giác", ("Toán 5", "Video bài giảng mẫu"), seconds=3.0),
        Slide(
            "Đáy và chiều cao",
            ("Đáy: cạnh a", "Chiều cao: h, vuông góc với đáy"),
            figure="triangle",
            seconds=3.0,
        ),
        Slide(
            "Công thức",
            ("S = a × h : 2", "Lấy độ dài đáy nhân với chiều cao", "(cùng đơn vị đo) rồi chia cho 2."),
            figure="triangle",
            seconds=3.0,
        ),
        Slide("Ví dụ", ("Đáy 8 cm, chiều cao 5 cm.", "S = 8 × 5 : 2 = 20 (cm²)"), seconds=3.0),
    ),
)

DECIMAL_FRACTIONS_PDF = Spec(
    filename="toan-5-phan-so-thap-phan.pdf",
    metadata=_meta(
        "Phân số thập phân",
        description=(
            "Tài liệu tự học: khái niệm phân số thập phân, cách chuyển một phân số thành phân số "
            "thập phân, bài tập có đáp án."
        ),
        grades=[5],
        subjects=["toan"],
        type="tai-lieu-tham-khao",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 1: Ôn tập và bổ sung",
        lesson="Bài 4: Phân số thập phân",
        keywords=("phân số", "phân số thập phân", "mẫu số", "toán lớp 5"),
        outcomes=(
            "Nhận biết được phân số thập phân.",
            "Chuyển được một số phân số thành phân số thập phân.",
        ),
    ),
    blocks=(
        ("h1", "Phân số thập phân"),
        ("p", "Toán 5 – Tài liệu tự học kèm bài tập và đáp án."),
        ("h2", "1. Thế nào là phân số thập phân?"),
        ("p", "Các phân số có mẫu số là 10, 100, 1 000, … được gọi là phân số thập phân."),
        ("p", "Ví dụ: 3/10; 7/100; 125/1000 là các phân số thập phân."),
        (
            "p",
            "Phân số 1/2 không phải là phân số thập phân vì mẫu số 2 không phải là 10, 100, "
            "1 000, … Tuy vậy, ta có thể viết 1/2 thành một phân số thập phân bằng nó: "
            "1/2 = (1 × 5)/(2 × 5) = 5/10.",
        ),
        ("h2", "2. Chuyển một phân số thành phân số thập phân"),
        (
            "p",
            "Muốn chuyển một phân số thành phân số thập phân, ta tìm một số tự nhiên nhân với "
            "mẫu số để được 10, 100, 1 000, … rồi nhân cả tử số và mẫu số với số đó.",
        ),
        ("li", "3/5 = (3 × 2)/(5 × 2) = 6/10"),
        ("li", "7/4 = (7 × 25)/(4 × 25) = 175/100"),
        ("li", "9/25 = (9 × 4)/(25 × 4) = 36/100"),
        ("li", "11/20 = (11 × 5)/(20 × 5) = 55/100"),
        (
            "p",
            "Có khi ta phải rút gọn trước: 6/30 = (6 : 3)/(30 : 3) = 2/10; "
            "64/800 = (64 : 8)/(800 : 8) = 8/100.",
        ),
        ("h2", "Em có biết?"),
        (
            "p",
            "Không phải phân số nào cũng viết được thành phân số thập phân. Chẳng hạn, không có "
            "số tự nhiên nào nhân với 3 để được 10, 100 hay 1 000, nên phân số 1/3 không viết "
            "được thành phân số thập phân.",
        ),
        ("break", ""),
        ("h2", "3. Bài tập"),
        ("li", "Bài 1. Đọc các phân số thập phân: 9/10; 21/100; 625/1000; 2005/1000000."),
        (
            "li",
            "Bài 2. Viết các phân số thập phân: bảy phần mười; hai mươi phần trăm; bốn trăm bảy "
            "mươi lăm phần nghìn; một phần triệu.",
        ),
        ("li", "Bài 3. Phân số nào dưới đây là phân số thập phân? 3/7; 4/10; 100/34; 17/1000; 69/2000."),
        (
            "li",
            "Bài 4. Viết số thích hợp vào chỗ chấm: a) 7/2 = (7 × …)/(2 × 5) = …/10; "
            "b) 3/4 = (3 × …)/(4 × 25) = …/100; c) 6/30 = (6 : 3)/(30 : 3) = …/10; "
            "d) 64/800 = (64 : 8)/(800 : 8) = …/100.",
        ),
        (
            "li",
            "Bài 5. Một cửa hàng đã bán được 3/4 số gạo trong kho. Hãy viết phân số đó dưới dạng "
            "phân số thập phân có mẫu số là 100.",
        ),
        ("break", ""),
        ("h2", "4. Đáp án gợi ý"),
        (
            "li",
            "Bài 1. Chín phần mười; hai mươi mốt phần trăm; sáu trăm hai mươi lăm phần nghìn; "
            "hai nghìn không trăm linh năm phần triệu.",
        ),
        ("li", "Bài 2. 7/10; 20/100; 475/1000; 1/1000000."),
        ("li", "Bài 3. Các phân số thập phân là 4/10 và 17/1000."),
        ("li", "Bài 4. a) 7/2 = 35/10; b) 3/4 = 75/100; c) 6/30 = 2/10; d) 64/800 = 8/100."),
        ("li", "Bài 5. 3/4 = (3 × 25)/(4 × 25) = 75/100."),
    ),
)

DECIMALS_DECK = Spec(
    filename="toan-5-so-thap-phan.pptx",
    kind="deck",
    metadata=_meta(
        "Số thập phân",
        description="Bài trình chiếu: khái niệm, cấu tạo, hàng và so sánh số thập phân, có phần luyện tập.",
        grades=[5],
        subjects=["toan"],
        type="bai-trinh-chieu",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 2: Số thập phân",
        lesson="Bài 8: Số thập phân",
        keywords=("số thập phân", "phần nguyên", "phần thập phân", "so sánh số thập phân", "toán lớp 5"),
        outcomes=("Đọc, viết được số thập phân.", "So sánh được hai số thập phân."),
    ),
    slides=(
        Slide("Số thập phân", ("Toán 5 – Bài trình chiếu",)),
        Slide(
            "Khởi động",
            (
                "1 dm = 1/10 m = 0,1 m",
                "1 cm = 1/100 m = 0,01 m",
                "1 mm = 1/1000 m = 0,001 m",
                "Các số 0,1; 0,01; 0,001 là các số thập phân.",
            ),
        ),
        Slide(
            "Cấu tạo số thập phân",
            (
                "Mỗi số thập phân gồm hai phần: phần nguyên và phần thập phân, ngăn cách bởi dấu phẩy.",
                "Số 8,56 có phần nguyên là 8, phần thập phân là 56.",
                "Đọc là: tám phẩy năm mươi sáu.",
            ),
        ),
        Slide(
            "Hàng của số thập phân",
            (
                "Trong số 375,406: chữ số 3 ở hàng trăm, 7 ở hàng chục, 5 ở hàng đơn vị.",
                "Chữ số 4 ở hàng phần mười, 0 ở hàng phần trăm, 6 ở hàng phần nghìn.",
                "Đọc là: ba trăm bảy mươi lăm phẩy bốn trăm linh sáu.",
            ),
        ),
        Slide(
            "So sánh hai số thập phân",
            (
                "So sánh phần nguyên trước: số nào có phần nguyên lớn hơn thì lớn hơn.",
                "Nếu phần nguyên bằng nhau, so sánh lần lượt hàng phần mười, hàng phần trăm, "
                "hàng phần nghìn, …",
                "Ví dụ: 2,7 > 2,69 vì ở hàng phần mười có 7 > 6.",
                "Viết thêm chữ số 0 vào bên phải phần thập phân thì giá trị không đổi: 0,5 = 0,50 = 0,500.",
            ),
        ),
        Slide(
            "Luyện tập",
            (
                "1. Đọc các số: 4,5; 12,08; 0,375.",
                "2. Viết số thập phân: ba phẩy hai mươi tư; không phẩy không năm.",
                "3. Sắp xếp từ bé đến lớn: 5,3; 5,03; 5,31; 5,299.",
                "Đáp án bài 3: 5,03 < 5,299 < 5,3 < 5,31.",
            ),
        ),
    ),
)

FRACTIONS_WORKSHEET = Spec(
    filename="toan-5-phieu-on-tap-phan-so.html",
    metadata=_meta(
        "Phiếu học tập: Ôn tập phân số",
        description=(
            "Phiếu bài tập ôn tập phân số: rút gọn, quy đồng mẫu số, so sánh, bốn phép tính và "
            "một bài toán có lời văn, kèm đáp án."
        ),
        grades=[5],
        subjects=["toan"],
        type="phieu-hoc-tap",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 1: Ôn tập và bổ sung",
        lesson="Bài 3: Ôn tập phân số",
        keywords=("phân số", "rút gọn phân số", "quy đồng mẫu số", "so sánh phân số", "toán lớp 5"),
        outcomes=(
            "Rút gọn, quy đồng và so sánh được các phân số.",
            "Thực hiện được các phép tính với phân số.",
        ),
    ),
    blocks=(
        ("h1", "Phiếu học tập: Ôn tập phân số"),
        ("p", "Họ và tên: ……………………………… Lớp: 5…"),
        ("h2", "Bài 1. Rút gọn các phân số"),
        ("li", "18/24 = …"),
        ("li", "15/35 = …"),
        ("li", "40/64 = …"),
        ("h2", "Bài 2. Quy đồng mẫu số các phân số"),
        ("li", "2/3 và 5/8"),
        ("li", "1/4 và 5/12"),
        ("h2", "Bài 3. Điền dấu >, <, = vào chỗ chấm"),
        ("li", "3/5 … 4/7"),
        ("li", "5/9 … 5/11"),
        ("li", "7/8 … 1"),
        ("h2", "Bài 4. Tính"),
        ("li", "2/3 + 1/4 = …"),
        ("li", "5/6 − 1/3 = …"),
        ("li", "3/4 × 2/5 = …"),
        ("li", "4/7 : 2/3 = …"),
        ("h2", "Bài 5. Giải toán"),
        (
            "p",
            "Mẹ mua 3/4 kg đường và đã dùng 1/3 số đường đó để làm bánh. Hỏi mẹ đã dùng bao nhiêu "
            "ki-lô-gam đường?",
        ),
        ("h2", "Đáp án"),
        ("li", "Bài 1: 18/24 = 3/4; 15/35 = 3/7; 40/64 = 5/8."),
        ("li", "Bài 2: 2/3 = 16/24 và 5/8 = 15/24; 1/4 = 3/12 và giữ nguyên 5/12."),
        ("li", "Bài 3: 3/5 > 4/7 (vì 21/35 > 20/35); 5/9 > 5/11; 7/8 < 1."),
        ("li", "Bài 4: 11/12; 1/2; 3/10; 6/7."),
        ("li", "Bài 5: Mẹ đã dùng 3/4 × 1/3 = 1/4 (kg) đường."),
    ),
)

TRIANGLE_LESSON_PLAN = Spec(
    filename="toan-5-ke-hoach-bai-day-dien-tich-hinh-tam-giac.docx",
    metadata=_meta(
        "Kế hoạch bài dạy: Diện tích hình tam giác",
        description=(
            "Giáo án tiết học hình thành công thức tính diện tích hình tam giác bằng cách cắt "
            "ghép hai tam giác bằng nhau thành một hình chữ nhật."
        ),
        grades=[5],
        subjects=["toan"],
        type="ke-hoach-bai-day",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 4: Một số hình phẳng",
        lesson="Bài 19: Diện tích hình tam giác",
        audience=("giao-vien",),
        keywords=("giáo án", "diện tích hình tam giác", "cắt ghép hình", "toán lớp 5"),
        outcomes=(
            "Hình thành và ghi nhớ công thức S = a × h : 2.",
            "Vận dụng công thức để giải bài toán thực tế.",
        ),
    ),
    blocks=(
        ("h1", "Kế hoạch bài dạy: Diện tích hình tam giác"),
        ("p", "Môn: Toán – Lớp 5. Thời lượng: 1 tiết (35 phút)."),
        ("h2", "I. Yêu cầu cần đạt"),
        ("li", "Biết cách tính diện tích hình tam giác khi biết độ dài đáy và chiều cao."),
        ("li", "Vận dụng công thức để giải các bài toán có liên quan đến thực tế."),
        ("li", "Phát triển năng lực tư duy và lập luận toán học, giao tiếp toán học."),
        ("h2", "II. Đồ dùng dạy học"),
        ("li", "Giáo viên: hai hình tam giác bằng nhau cắt từ bìa, kéo, bảng phụ."),
        ("li", "Học sinh: hai hình tam giác bằng nhau, kéo, thước kẻ, ê ke."),
        ("h2", "III. Các hoạt động dạy học"),
        ("table", "0"),
        ("h2", "IV. Điều chỉnh sau bài dạy"),
        (
            "p",
            "Nếu học sinh còn lúng túng khi xác định chiều cao của tam giác có góc tù, giáo viên "
            "dùng ê ke minh hoạ trên bảng phụ và cho học sinh luyện thêm ở tiết sau.",
        ),
    ),
    tables=(
        (
            ("Hoạt động", "Hoạt động của giáo viên", "Hoạt động của học sinh"),
            (
                "1. Khởi động (5 phút)",
                "Tổ chức trò chơi “Ai nhanh hơn”: nêu cách tính diện tích hình chữ nhật.",
                "Nhắc lại: S = a × b (a là chiều dài, b là chiều rộng, cùng đơn vị đo).",
            ),
            (
                "2. Hình thành kiến thức (15 phút)",
                "Hướng dẫn cắt một hình tam giác theo đường cao thành hai mảnh rồi ghép với hình "
                "tam giác còn lại thành một hình chữ nhật.",
                "Nhận xét: hình chữ nhật có chiều dài bằng đáy, chiều rộng bằng chiều cao của tam "
                "giác và có diện tích gấp đôi, nên S = a × h : 2.",
            ),
            (
                "3. Luyện tập (12 phút)",
                "Bài 1: tính diện tích tam giác có a) đáy 8 cm, chiều cao 6 cm; b) đáy 2,3 dm, "
                "chiều cao 1,2 dm. Bài 2: đáy 5 m, chiều cao 24 dm.",
                "Bài 1: a) 24 cm²; b) 1,38 dm². Bài 2: đổi 24 dm = 2,4 m; S = 5 × 2,4 : 2 = 6 (m²).",
            ),
            (
                "4. Vận dụng (3 phút)",
                "Một lá cờ đuôi nheo hình tam giác có đáy 30 cm, chiều cao 45 cm. Tính diện tích lá cờ.",
                "S = 30 × 45 : 2 = 675 (cm²).",
            ),
        ),
    ),
)

DECIMALS_TEST = Spec(
    filename="toan-5-de-kiem-tra-15-phut-so-thap-phan.md",
    metadata=_meta(
        "Đề kiểm tra 15 phút: Số thập phân",
        description="Đề kiểm tra 15 phút gồm 4 câu trắc nghiệm và 3 bài tự luận về số thập phân, có đáp án.",
        grades=[5],
        subjects=["toan"],
        type="de-kiem-tra",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Chủ đề 2: Số thập phân",
        lesson="Bài 10: So sánh các số thập phân",
        keywords=("đề kiểm tra", "số thập phân", "trắc nghiệm", "toán lớp 5"),
        outcomes=("Đọc, viết, so sánh được số thập phân.", "Viết được số đo độ dài dưới dạng số thập phân."),
    ),
    blocks=(
        ("h1", "Đề kiểm tra 15 phút: Số thập phân"),
        ("p", "Môn Toán – Lớp 5. Thời gian làm bài: 15 phút."),
        ("h2", "Phần I. Trắc nghiệm (4 điểm)"),
        ("li", "Câu 1. Số gồm “năm đơn vị, bảy phần trăm” viết là: A. 5,7   B. 5,07   C. 5,007   D. 57,0"),
        (
            "li",
            "Câu 2. Chữ số 3 trong số 12,435 thuộc hàng nào? A. Hàng chục   B. Hàng phần mười   "
            "C. Hàng phần trăm   D. Hàng phần nghìn",
        ),
        (
            "li",
            "Câu 3. Số lớn nhất trong các số 0,9; 0,89; 0,909; 0,899 là: A. 0,9   B. 0,89   C. 0,909  "
            "D. 0,899",
        ),
        ("li", "Câu 4. Phân số 3/100 viết dưới dạng số thập phân là: A. 0,3   B. 0,03   C. 3,00   D. 0,003"),
        ("h2", "Phần II. Tự luận (6 điểm)"),
        (
            "li",
            "Bài 1 (2 điểm). Viết dưới dạng số thập phân có đơn vị là mét: 3 m 5 dm; 7 m 25 cm; 45 cm; 8 mm.",
        ),
        ("li", "Bài 2 (2 điểm). Sắp xếp theo thứ tự từ lớn đến bé: 6,48; 6,5; 6,405; 6,49."),
        (
            "li",
            "Bài 3 (2 điểm). a) Tìm số tự nhiên x, biết 2,9 < x < 3,5. b) Tìm chữ số x, biết 8,x2 < 8,13.",
        ),
        ("h2", "Đáp án và biểu điểm"),
        ("li", "Phần I (mỗi câu 1 điểm): 1 – B; 2 – C; 3 – C; 4 – B."),
        ("li", "Bài 1: 3,5 m; 7,25 m; 0,45 m; 0,008 m (mỗi ý 0,5 điểm)."),
        ("li", "Bài 2: 6,5 > 6,49 > 6,48 > 6,405."),
        ("li", "Bài 3: a) x = 3; b) x = 0 hoặc x = 1."),
    ),
)

# --------------------------------------------------------------------------------------------
# Primary: Vietnamese, music, science, English
# --------------------------------------------------------------------------------------------

TONES_WORKSHEET = Spec(
    filename="tieng-viet-1-luyen-doc-thanh-dieu.html",
    metadata=_meta(
        "Luyện đọc thanh điệu: ma, mà, má, mả, mã, mạ",
        description=(
            "Phiếu luyện đọc sáu thanh của tiếng Việt qua các tiếng ma, mà, má, mả, mã, mạ, "
            "có câu ví dụ và bài tập nối."
        ),
        grades=[1],
        subjects=["tieng-viet"],
        type="phieu-hoc-tap",
        series="canh-dieu",
        volume=1,
        chapter="Chủ đề: Làm quen với thanh điệu",
        lesson="Bài 6: Thanh ngã, thanh nặng",
        keywords=("thanh điệu", "dấu thanh", "ma", "má", "mã", "mạ", "học vần"),
        outcomes=("Nhận biết và đọc đúng sáu thanh của tiếng Việt.",),
    ),
    blocks=(
        ("h1", "Luyện đọc thanh điệu"),
        (
            "p",
            "Tiếng Việt có sáu thanh: thanh ngang, thanh huyền, thanh sắc, thanh hỏi, thanh ngã và "
            "thanh nặng.",
        ),
        ("h2", "1. Đọc to các tiếng"),
        ("table", "0"),
        ("h2", "2. Nối tiếng với tranh phù hợp"),
        ("li", "mạ – khóm lúa non xanh mướt ngoài ruộng"),
        ("li", "mã – quân cờ có hình con ngựa"),
        ("li", "má – người mẹ (cách gọi ở miền Nam)"),
        ("h2", "3. Điền dấu thanh thích hợp"),
        ("li", "Bé ch… (chơi / chới) với bà."),
        ("li", "Cây m… (mạ / ma) xanh mơn mởn."),
    ),
    tables=(
        (
            ("Tiếng", "Thanh", "Câu ví dụ"),
            ("ma", "thanh ngang", "Bé kể chuyện ma cho búp bê nghe."),
            ("mà", "thanh huyền", "Bé tô màu mà không lem ra ngoài."),
            ("má", "thanh sắc", "Má bế bé ra vườn."),
            ("mả", "thanh hỏi", "Ông bà đi thăm mồ mả tổ tiên."),
            ("mã", "thanh ngã", "Ông dạy bé đi quân mã."),
            ("mạ", "thanh nặng", "Cây mạ xanh mơn mởn."),
        ),
    ),
)

CAT_READING = Spec(
    filename="tieng-viet-2-doc-hieu-chu-meo-muop.docx",
    metadata=_meta(
        "Đọc hiểu: Chú mèo Mướp",
        description="Bài đọc ngắn tả chú mèo Mướp kèm năm câu hỏi đọc hiểu và luyện từ chỉ hoạt động.",
        grades=[2],
        subjects=["tieng-viet"],
        type="phieu-hoc-tap",
        series="chan-troi-sang-tao",
        volume=1,
        chapter="Chủ đề: Những người bạn nhỏ",
        lesson="Bài 12: Đọc – Chú mèo Mướp",
        keywords=("đọc hiểu", "con mèo", "từ chỉ hoạt động", "tiếng việt lớp 2"),
        outcomes=("Đọc trôi chảy và trả lời câu hỏi về nội dung bài đọc.", "Tìm được từ chỉ hoạt động."),
    ),
    blocks=(
        ("h1", "Chú mèo Mướp"),
        (
            "p",
            "Nhà em có một chú mèo tên là Mướp. Bộ lông của Mướp màu vàng nhạt, có những vằn nâu "
            "chạy dọc lưng. Đôi mắt chú tròn xoe, ban đêm sáng như hai hòn bi ve.",
        ),
        (
            "p",
            "Sáng nào Mướp cũng ra sân nằm sưởi nắng. Khi em đi học về, chú chạy ra cọ đầu vào "
            "chân em, kêu “meo meo” như chào đón. Buổi tối, Mướp rón rén đi quanh bếp để canh "
            "chuột. Cả nhà ai cũng quý Mướp.",
        ),
        ("h2", "Trả lời câu hỏi"),
        ("li", "1. Chú mèo trong bài tên là gì?"),
        ("li", "2. Tìm những từ ngữ tả bộ lông và đôi mắt của Mướp."),
        ("li", "3. Khi bạn nhỏ đi học về, Mướp làm gì?"),
        ("li", "4. Theo em, vì sao cả nhà đều quý Mướp?"),
        ("li", "5. Tìm trong bài hai từ chỉ hoạt động của Mướp."),
        ("h2", "Gợi ý"),
        ("p", "Câu 5: nằm, chạy, cọ, kêu, đi (chọn hai từ)."),
    ),
)

RHYTHM_AUDIO = Spec(
    filename="am-nhac-2-bai-hat-luyen-nhip-2-4.mp3",
    kind="audio",
    metadata=_meta(
        "Bài hát luyện nhịp 2/4 (giai điệu không lời)",
        description=(
            "Đoạn nhạc không lời dài 8 giây do máy tạo từ các nốt Đô, Rê, Mi, Son ở nhịp 2/4, "
            "có tiếng gõ ở phách mạnh đầu mỗi ô nhịp. Học sinh nghe và vỗ tay theo phách mạnh, "
            "phách nhẹ."
        ),
        grades=[2, 3],
        subjects=["am-nhac"],
        type="hoc-lieu-am-thanh",
        series="ket-noi-tri-thuc",
        chapter="Chủ đề: Nhịp điệu quanh em",
        lesson="Luyện tập: Vỗ tay theo nhịp 2/4",
        keywords=("nhịp 2/4", "phách mạnh", "phách nhẹ", "vỗ tay theo nhịp", "âm nhạc"),
        outcomes=("Vỗ tay được theo phách mạnh, phách nhẹ của nhịp 2/4.",),
    ),
)

WATER_CYCLE_IMAGE = Spec(
    filename="khoa-hoc-4-vong-tuan-hoan-cua-nuoc.png",
    kind="water-cycle",
    metadata=_meta(
        "Vòng tuần hoàn của nước trong tự nhiên",
        description=(
            "Sơ đồ minh hoạ vòng tuần hoàn của nước: nước bay hơi, hơi nước ngưng tụ thành mây, "
            "mưa rơi xuống và nước chảy trở về sông, biển."
        ),
        grades=[4],
        subjects=["khoa-hoc"],
        type="hinh-anh",
        series="ket-noi-tri-thuc",
        chapter="Chủ đề 1: Chất",
        lesson="Bài 3: Sự chuyển thể của nước và vòng tuần hoàn của nước",
        keywords=("vòng tuần hoàn của nước", "bay hơi", "ngưng tụ", "mưa", "khoa học lớp 4"),
        outcomes=("Vẽ và giải thích được sơ đồ vòng tuần hoàn của nước trong tự nhiên.",),
    ),
)

WATER_CYCLE_LABELS = {
    "title": "Vòng tuần hoàn của nước trong tự nhiên",
    "evaporation": "Bay hơi",
    "condensation": "Ngưng tụ thành mây",
    "rain": "Mưa",
    "runoff": "Nước chảy ra sông, biển",
    "sun": "Mặt Trời",
    "sea": "Biển",
    "footer": "Khoa học 4 · Học liệu mẫu Hoclieu",
}

FAMILY_WORKSHEET = Spec(
    filename="tieng-anh-3-worksheet-my-family.txt",
    metadata=_meta(
        "Worksheet: My family",
        description="An English worksheet for grade 3: family words, a short dialogue and two exercises.",
        grades=[3],
        subjects=["tieng-anh"],
        type="phieu-hoc-tap",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Unit 11: My family",
        lesson="Lesson 1",
        language="en",
        keywords=("family", "gia đình", "tiếng anh lớp 3", "vocabulary"),
        outcomes=("Name family members and introduce them with 'This is my …'.",),
    ),
    blocks=(
        ("h1", "Worksheet: My family"),
        ("p", "English – Grade 3. Name: ……………………"),
        ("h2", "1. Words"),
        ("li", "father – mother – brother – sister – grandfather – grandmother"),
        ("h2", "2. Read the dialogue"),
        ("p", "Mai: Who's that? Nam: It's my brother. Mai: How old is he? Nam: He's ten years old."),
        ("h2", "3. Complete the sentences"),
        ("li", "This is my m_ther. She is a teacher."),
        ("li", "That is my gr_ndfather. He is seventy years old."),
        ("li", "This is my s_ster. She is seven."),
        ("h2", "4. Draw and write"),
        ("p", "Draw your family. Then write two sentences: This is my … . He/She is … years old."),
        ("h2", "Answers"),
        ("p", "3: mother, grandfather, sister."),
    ),
)

# --------------------------------------------------------------------------------------------
# Lower and upper secondary
# --------------------------------------------------------------------------------------------

LUC_BAT_PDF = Spec(
    filename="ngu-van-6-tho-luc-bat.pdf",
    metadata=_meta(
        "Thơ lục bát: đặc điểm và cách đọc",
        description=(
            "Tài liệu tham khảo về số tiếng, cách gieo vần, luật bằng trắc và nhịp của thơ lục bát "
            "qua ca dao."
        ),
        grades=[6],
        subjects=["ngu-van"],
        type="tai-lieu-tham-khao",
        series="canh-dieu",
        volume=1,
        chapter="Bài 2: Thơ lục bát",
        lesson="Tri thức ngữ văn: Thơ lục bát",
        keywords=("lục bát", "ca dao", "gieo vần", "bằng trắc", "ngữ văn lớp 6"),
        outcomes=("Nhận biết được số tiếng, vần, nhịp, luật bằng trắc của thơ lục bát.",),
    ),
    blocks=(
        ("h1", "Thơ lục bát: đặc điểm và cách đọc"),
        ("p", "Ngữ văn 6 – Tài liệu tham khảo."),
        ("h2", "1. Số tiếng và số dòng"),
        (
            "p",
            "Thơ lục bát gồm các cặp câu: câu sáu tiếng (câu lục) đứng trước, câu tám tiếng "
            "(câu bát) đứng sau. Một bài lục bát có thể chỉ có một cặp câu, cũng có thể rất dài.",
        ),
        ("h2", "2. Cách gieo vần"),
        (
            "p",
            "Tiếng thứ sáu của câu lục vần với tiếng thứ sáu của câu bát; tiếng thứ tám của câu "
            "bát lại vần với tiếng thứ sáu của câu lục tiếp theo.",
        ),
        ("h2", "3. Luật bằng trắc"),
        (
            "p",
            "Các tiếng thứ hai, thứ sáu, thứ tám thường là thanh bằng, tiếng thứ tư là thanh trắc. "
            "Trong câu bát, tiếng thứ sáu và tiếng thứ tám cùng là thanh bằng nhưng khác nhau: "
            "nếu tiếng này mang thanh huyền thì tiếng kia mang thanh ngang.",
        ),
        ("h2", "4. Nhịp"),
        ("p", "Thơ lục bát thường ngắt nhịp chẵn (2/2/2 hoặc 4/4), đôi khi ngắt nhịp lẻ để tạo điểm nhấn."),
        ("break", ""),
        ("h2", "5. Đọc và phân tích ví dụ"),
        ("p", "Trong đầm gì đẹp bằng sen"),
        ("p", "Lá xanh bông trắng lại chen nhị vàng"),
        ("p", "(Ca dao)"),
        (
            "p",
            "Tiếng “sen” (tiếng thứ sáu câu lục) vần với tiếng “chen” (tiếng thứ sáu câu bát). "
            "Các tiếng “đầm”, “sen”, “xanh”, “chen”, “vàng” mang thanh bằng; “đẹp”, “trắng” mang "
            "thanh trắc. Trong câu bát, “chen” mang thanh ngang còn “vàng” mang thanh huyền.",
        ),
        ("p", "Gió đưa cành trúc la đà"),
        ("p", "Tiếng chuông Trấn Vũ canh gà Thọ Xương"),
        ("p", "(Ca dao)"),
        ("h2", "6. Luyện tập"),
        ("li", "Chỉ ra các tiếng bắt vần với nhau trong cặp câu “Gió đưa cành trúc la đà…”."),
        ("li", "Xác định nhịp của hai câu trên và đọc diễn cảm."),
        ("li", "Viết hai cặp câu lục bát về mái trường hoặc thầy cô của em."),
    ),
)

EXAM_MATRIX = Spec(
    filename="toan-7-ma-tran-de-kiem-tra-cuoi-hoc-ki-1.docx",
    metadata=_meta(
        "Ma trận đề kiểm tra cuối học kì I – Toán 7",
        description=(
            "Ma trận đề kiểm tra cuối học kì I môn Toán 7: phân bổ điểm theo chủ đề và theo bốn "
            "mức độ nhận thức, dùng khi xây dựng đề."
        ),
        grades=[7],
        subjects=["toan"],
        type="de-kiem-tra",
        series="ket-noi-tri-thuc",
        volume=1,
        chapter="Kiểm tra cuối học kì I",
        lesson="Ma trận và bản đặc tả đề kiểm tra",
        audience=("giao-vien",),
        keywords=("ma trận đề", "đề kiểm tra", "cuối học kì", "mức độ nhận thức", "toán lớp 7"),
        outcomes=("Xây dựng được đề kiểm tra cân đối giữa các chủ đề và các mức độ.",),
    ),
    blocks=(
        ("h1", "Ma trận đề kiểm tra cuối học kì I – Toán 7"),
        (
            "p",
            "Ma trận đề là bảng hai chiều: mỗi dòng là một chủ đề, mỗi cột là một mức độ nhận "
            "thức; ô giao nhau ghi số điểm dành cho chủ đề đó ở mức độ đó. Tỉ lệ chung: nhận biết "
            "40%, thông hiểu 30%, vận dụng 20%, vận dụng cao 10%.",
        ),
        ("table", "0"),
        ("h2", "Bản đặc tả (rút gọn)"),
        ("li", "Số hữu tỉ – Nhận biết: nhận ra số hữu tỉ, số đối, biểu diễn số hữu tỉ trên trục số."),
        ("li", "Số thực – Vận dụng cao: so sánh hai số thực chứa căn bậc hai số học."),
        ("li", "Tam giác bằng nhau – Vận dụng: chứng minh hai tam giác bằng nhau theo trường hợp c.g.c."),
        ("li", "Thu thập và biểu diễn dữ liệu – Nhận biết: đọc dữ liệu từ biểu đồ hình quạt tròn."),
    ),
    tables=(
        (
            ("Chủ đề", "Nhận biết", "Thông hiểu", "Vận dụng", "Vận dụng cao", "Tổng"),
            ("Số hữu tỉ", "1,0", "1,0", "0,5", "0", "2,5"),
            ("Số thực", "1,0", "0,5", "0,5", "0,5", "2,5"),
            ("Góc và đường thẳng song song", "0,5", "0,5", "0", "0", "1,0"),
            ("Tam giác bằng nhau", "0,5", "0,5", "1,0", "0,5", "2,5"),
            ("Thu thập và biểu diễn dữ liệu", "1,0", "0,5", "0", "0", "1,5"),
            ("Tổng điểm", "4,0", "3,0", "2,0", "1,0", "10"),
        ),
    ),
)

CLIMATE_DECK = Spec(
    filename="lich-su-va-dia-li-8-khi-hau-viet-nam.pptx",
    kind="deck",
    metadata=_meta(
        "Khí hậu Việt Nam: nhiệt đới ẩm gió mùa",
        description=(
            "Bài trình chiếu về đặc điểm chung, hai mùa gió, sự phân hoá và ảnh hưởng của khí hậu Việt Nam."
        ),
        grades=[8],
        subjects=["lich-su-va-dia-li"],
        type="bai-trinh-chieu",
        series="chan-troi-sang-tao",
        volume=1,
        chapter="Chương 2: Khí hậu và thủy văn Việt Nam",
        lesson="Bài 6: Đặc điểm khí hậu Việt Nam",
        keywords=("khí hậu", "gió mùa", "nhiệt đới ẩm", "địa lí lớp 8"),
        outcomes=("Trình bày được đặc điểm khí hậu nhiệt đới ẩm gió mùa của Việt Nam.",),
    ),
    slides=(
        Slide("Khí hậu Việt Nam", ("Lịch sử và Địa lí 8 – Phần Địa lí",)),
        Slide(
            "Tính chất nhiệt đới ẩm",
            (
                "Nhiệt độ trung bình năm trên 20 °C (trừ vùng núi cao).",
                "Lượng mưa trung bình năm từ 1 500 đến 2 000 mm.",
                "Độ ẩm không khí thường trên 80%.",
            ),
        ),
        Slide(
            "Hai mùa gió",
            (
                "Gió mùa mùa đông (khoảng tháng 11 đến tháng 4): hướng đông bắc, gây mùa đông lạnh ở "
                "miền Bắc.",
                "Gió mùa mùa hạ (khoảng tháng 5 đến tháng 10): nóng ẩm, mang mưa lớn cho cả nước.",
            ),
        ),
        Slide(
            "Khí hậu phân hoá đa dạng",
            (
                "Theo chiều bắc – nam: dãy Bạch Mã là ranh giới giữa hai miền khí hậu.",
                "Theo độ cao: lên cao nhiệt độ giảm, hình thành khí hậu mát mẻ như ở Sa Pa, Đà Lạt.",
                "Theo chiều đông – tây: sự khác nhau giữa vùng ven biển và vùng núi.",
            ),
        ),
        Slide(
            "Câu hỏi",
            (
                "Vì sao nước ta có lượng mưa lớn và độ ẩm cao?",
                "Nêu một thuận lợi và một khó khăn của khí hậu đối với sản xuất nông nghiệp.",
            ),
        ),
    ),
)

QUADRATIC_TEST = Spec(
    filename="toan-9-de-kiem-tra-phuong-trinh-bac-hai.pdf",
    metadata=_meta(
        "Đề kiểm tra: Phương trình bậc hai một ẩn",
        description=(
            "Đề kiểm tra 45 phút về giải phương trình bậc hai, hệ thức Vi-ét và giải bài toán bằng "
            "cách lập phương trình, có đáp án."
        ),
        grades=[9],
        subjects=["toan"],
        type="de-kiem-tra",
        series="canh-dieu",
        volume=2,
        chapter="Chương VI: Hàm số y = ax² (a ≠ 0). Phương trình bậc hai một ẩn",
        lesson="Kiểm tra chương VI",
        keywords=("phương trình bậc hai", "biệt thức", "hệ thức Vi-ét", "toán lớp 9"),
        outcomes=("Giải được phương trình bậc hai một ẩn.", "Vận dụng được hệ thức Vi-ét."),
    ),
    blocks=(
        ("h1", "Đề kiểm tra: Phương trình bậc hai một ẩn"),
        ("p", "Môn Toán – Lớp 9. Thời gian làm bài: 45 phút."),
        ("h2", "Bài 1 (4 điểm). Giải các phương trình"),
        ("li", "a) x² − 5x + 6 = 0"),
        ("li", "b) 2x² + 3x − 2 = 0"),
        ("li", "c) x² − 4x + 4 = 0"),
        ("li", "d) x² + x + 1 = 0"),
        ("h2", "Bài 2 (3 điểm)"),
        ("p", "Cho phương trình x² − 2(m + 1)x + m² + 3 = 0, với m là tham số."),
        ("li", "a) Tìm m để phương trình có hai nghiệm phân biệt."),
        ("li", "b) Gọi x₁, x₂ là hai nghiệm đó. Tìm m để x₁² + x₂² = 20."),
        ("h2", "Bài 3 (3 điểm)"),
        (
            "p",
            "Một mảnh vườn hình chữ nhật có chiều dài hơn chiều rộng 4 m và có diện tích 96 m². "
            "Tính chiều dài và chiều rộng của mảnh vườn.",
        ),
        ("break", ""),
        ("h2", "Đáp án"),
        (
            "li",
            "Bài 1. a) x = 2 hoặc x = 3. b) Δ = 25, x = 1/2 hoặc x = −2. c) Nghiệm kép x = 2. d) Δ = "
            "−3 < 0, phương trình vô nghiệm.",
        ),
        ("li", "Bài 2. a) Δ′ = (m + 1)² − (m² + 3) = 2m − 2 > 0 khi m > 1."),
        (
            "li",
            "Bài 2. b) Theo hệ thức Vi-ét: x₁ + x₂ = 2(m + 1), x₁x₂ = m² + 3. Khi đó "
            "x₁² + x₂² = 4(m + 1)² − 2(m² + 3) = 2m² + 8m − 2. Giải 2m² + 8m − 2 = 20 được "
            "m = −2 + √15 hoặc m = −2 − √15; đối chiếu điều kiện m > 1, chọn m = −2 + √15.",
        ),
        (
            "li",
            "Bài 3. Gọi chiều rộng là x (m, x > 0). Ta có x(x + 4) = 96, tức x² + 4x − 96 = 0, "
            "được x = 8 (nhận) hoặc x = −12 (loại). Chiều rộng 8 m, chiều dài 12 m.",
        ),
    ),
)

ENCODING_PDF = Spec(
    filename="tin-hoc-10-ma-hoa-thong-tin.pdf",
    metadata=_meta(
        "Mã hoá thông tin trong máy tính",
        description=(
            "Tài liệu tham khảo: bit và byte, hệ nhị phân, mã hoá văn bản (ASCII, Unicode, UTF-8) và "
            "mã hoá hình ảnh."
        ),
        grades=[10],
        subjects=["tin-hoc"],
        type="tai-lieu-tham-khao",
        series="ket-noi-tri-thuc",
        chapter="Chủ đề 1: Máy tính và xã hội tri thức",
        lesson="Bài 4: Hệ nhị phân và dữ liệu số nguyên",
        keywords=("mã hoá", "hệ nhị phân", "bit", "byte", "Unicode", "tin học lớp 10"),
        outcomes=(
            "Giải thích được cách máy tính biểu diễn thông tin bằng dãy bit.",
            "Chuyển đổi được giữa hệ thập phân và hệ nhị phân.",
        ),
    ),
    blocks=(
        ("h1", "Mã hoá thông tin trong máy tính"),
        ("p", "Tin học 10 – Tài liệu tham khảo."),
        ("h2", "1. Bit và byte"),
        (
            "p",
            "Máy tính lưu trữ và xử lí mọi thông tin dưới dạng dãy các bit, mỗi bit nhận một "
            "trong hai giá trị 0 hoặc 1. Việc biến đổi thông tin thành dãy bit gọi là mã hoá thông tin.",
        ),
        ("p", "Tám bit tạo thành một byte. 1 KB = 1 024 byte, 1 MB = 1 024 KB."),
        ("h2", "2. Hệ nhị phân"),
        (
            "p",
            "Hệ nhị phân chỉ dùng hai chữ số 0 và 1. Ví dụ: 13 = 1 × 8 + 1 × 4 + 0 × 2 + 1 × 1, "
            "nên số 13 viết trong hệ nhị phân là 1101.",
        ),
        (
            "p",
            "Để đổi một số từ hệ thập phân sang hệ nhị phân, ta chia liên tiếp cho 2 rồi viết các số "
            "dư theo thứ tự ngược lại.",
        ),
        ("h2", "3. Mã hoá văn bản"),
        (
            "p",
            "Bảng mã ASCII dùng 7 bit để mã hoá 128 kí tự; chẳng hạn chữ A có mã 65, tức 01000001 "
            "khi lưu trong một byte. Bảng mã Unicode mã hoá chữ viết của hầu hết các ngôn ngữ, kể "
            "cả tiếng Việt.",
        ),
        (
            "p",
            "Với cách lưu UTF-8, chữ “a” chiếm 1 byte còn chữ “ệ” (mã U+1EC7) chiếm 3 byte. Một "
            "chữ có dấu có thể được lưu ở dạng dựng sẵn (một mã) hoặc dạng tổ hợp (chữ cái gốc "
            "cộng các dấu), vì vậy phần mềm cần chuẩn hoá văn bản trước khi so sánh hay tìm kiếm.",
        ),
        ("break", ""),
        ("h2", "4. Mã hoá hình ảnh"),
        (
            "p",
            "Ảnh số gồm nhiều điểm ảnh. Với ảnh màu 24 bit, mỗi điểm ảnh dùng 8 bit cho mỗi màu "
            "đỏ, lục, lam, nên biểu diễn được 2²⁴ (khoảng 16,7 triệu) màu.",
        ),
        ("h2", "5. Bài tập"),
        ("li", "Bài 1. Đổi số 25 sang hệ nhị phân."),
        ("li", "Bài 2. Số nhị phân 101010 bằng bao nhiêu trong hệ thập phân?"),
        ("li", "Bài 3. Một văn bản gồm 1 000 kí tự ASCII, mỗi kí tự lưu trong 1 byte, chiếm bao nhiêu byte?"),
        ("h2", "Đáp án"),
        ("li", "Bài 1. 25 = 16 + 8 + 1, viết là 11001."),
        ("li", "Bài 2. 101010 = 32 + 8 + 2 = 42."),
        ("li", "Bài 3. 1 000 byte."),
    ),
)

MOTION_DECK = Spec(
    filename="vat-li-10-chuyen-dong-thang-bien-doi-deu.pptx",
    kind="deck",
    metadata=_meta(
        "Chuyển động thẳng biến đổi đều",
        description=(
            "Bài trình chiếu: gia tốc, các công thức của chuyển động thẳng biến đổi đều, ví dụ và bài "
            "tập có lời giải."
        ),
        grades=[10],
        subjects=["vat-li"],
        type="bai-trinh-chieu",
        series="chan-troi-sang-tao",
        chapter="Chương 2: Mô tả chuyển động",
        lesson="Bài 7: Gia tốc – Chuyển động thẳng biến đổi đều",
        keywords=(
            "gia tốc",
            "vận tốc",
            "chuyển động thẳng",
            "nhanh dần đều",
            "chậm dần đều",
            "vật lí lớp 10",
        ),
        outcomes=(
            "Viết được các công thức của chuyển động thẳng biến đổi đều.",
            "Vận dụng để giải bài tập đơn giản.",
        ),
    ),
    slides=(
        Slide("Chuyển động thẳng biến đổi đều", ("Vật lí 10",)),
        Slide(
            "Gia tốc",
            (
                "Gia tốc cho biết vận tốc thay đổi nhanh hay chậm: a = Δv / Δt.",
                "Đơn vị của gia tốc là m/s².",
                "Nhanh dần đều: a cùng dấu với v. Chậm dần đều: a ngược dấu với v.",
            ),
        ),
        Slide(
            "Các công thức",
            ("v = v₀ + a·t", "s = v₀·t + ½·a·t²", "v² − v₀² = 2·a·s"),
        ),
        Slide(
            "Ví dụ",
            (
                "Ô tô đang chạy với vận tốc 10 m/s thì tăng tốc đều với a = 2 m/s² trong 5 s.",
                "Vận tốc cuối: v = 10 + 2·5 = 20 (m/s).",
                "Quãng đường: s = 10·5 + ½·2·5² = 75 (m).",
            ),
        ),
        Slide(
            "Bài tập",
            (
                "Một đoàn tàu đang chạy với vận tốc 15 m/s thì hãm phanh, chuyển động chậm dần đều và "
                "dừng lại sau 30 s.",
                "Gia tốc: a = (0 − 15) / 30 = −0,5 (m/s²).",
                "Quãng đường hãm phanh: s = 15·30 − ½·0,5·30² = 225 (m).",
            ),
        ),
    ),
)

PHOTOSYNTHESIS_IMAGE = Spec(
    filename="sinh-hoc-11-so-do-quang-hop.jpg",
    kind="photosynthesis",
    metadata=_meta(
        "Sơ đồ quá trình quang hợp ở thực vật",
        description=(
            "Sơ đồ: lá cây dùng năng lượng ánh sáng để tổng hợp glucose từ CO₂ và nước, đồng thời "
            "giải phóng khí O₂. Lá cây có màu xanh vì lục lạp trong tế bào lá chứa diệp lục: chất "
            "này hấp thụ ánh sáng đỏ và xanh tím để quang hợp, còn ánh sáng xanh lục bị phản xạ lại."
        ),
        grades=[11],
        subjects=["sinh-hoc"],
        type="hinh-anh",
        series="canh-dieu",
        chapter="Chủ đề 1: Trao đổi chất và chuyển hoá năng lượng ở thực vật",
        lesson="Bài 4: Quang hợp ở thực vật",
        keywords=("quang hợp", "diệp lục", "glucose", "sinh học lớp 11"),
        outcomes=("Viết được phương trình tổng quát của quang hợp.",),
    ),
)

PHOTOSYNTHESIS_LABELS = {
    "title": "Quá trình quang hợp ở thực vật",
    "light": "Ánh sáng mặt trời",
    "co2": "CO₂ (khí carbon dioxide)",
    "water": "H₂O (nước từ rễ)",
    "glucose": "C₆H₁₂O₆ (glucose)",
    "oxygen": "O₂ (khí oxygen)",
    "leaf": "Lá (lục lạp chứa diệp lục)",
    "equation": "6CO₂ + 6H₂O → C₆H₁₂O₆ + 6O₂",
    "conditions": "ánh sáng, diệp lục",
    "footer": "Sinh học 11 · Học liệu mẫu Hoclieu",
}

SPECS: tuple[Spec, ...] = (
    TRIANGLE_VIDEO,
    DECIMAL_FRACTIONS_PDF,
    DECIMALS_DECK,
    FRACTIONS_WORKSHEET,
    TRIANGLE_LESSON_PLAN,
    DECIMALS_TEST,
    TONES_WORKSHEET,
    CAT_READING,
    RHYTHM_AUDIO,
    WATER_CYCLE_IMAGE,
    FAMILY_WORKSHEET,
    LUC_BAT_PDF,
    EXAM_MATRIX,
    CLIMATE_DECK,
    QUADRATIC_TEST,
    ENCODING_PDF,
    MOTION_DECK,
    PHOTOSYNTHESIS_IMAGE,
)
"""Every demo material, in the order ``hoclieu demo`` loads them (grade-5 maths first)."""

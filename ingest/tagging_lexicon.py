# The data below holds Vietnamese text and math notation (en dashes, set symbols) on purpose.
# ruff: noqa: RUF001
"""Hand-written vocabularies behind auto-tagging (``ingest.tagging``).

Two kinds of data live here:

* **Names** (``SUBJECT_NAMES``, ``TYPE_NAMES``, ``SERIES_NAMES``, ``SUBJECT_ABBREVIATIONS``...):
  how teachers actually write a subject, resource type or textbook series in file names,
  folder names and document headers ("Toán học", "Vật lý"/"Vật lí", "Hoá"/"Hóa", "GDCD",
  "KHTN", "TV", "Giáo án", "KHBD", "Đề thi"...). A hit on a name is strong evidence.
* **Subject lexicons** (``SUBJECT_TERMS``): words and notations *characteristic* of a subject's
  content ("đạo hàm", "dao động", "nhiễm sắc thể", "H2SO4"), with a weight saying how telling the
  term is. ``ingest.tagging`` scores a text against every lexicon to guess its subject when no
  name says it, e.g. for a bare exam question.

Every list was written by hand from the 2018 programme and general subject knowledge, not fitted
to a corpus: ``bench/tagging_vnhsge.py`` measures the result on exam items held out from any
inspection (see that script for the split).

Terms are written with their Vietnamese marks; the matcher folds both sides
(``repository.text.fold``) so unaccented and decomposed (NFD) text matches too. A term that
starts with ``re:`` is a regular expression applied to the *original* (NFC) text, case-sensitive,
for notations that folding would blur (chemical formulas, LaTeX).
"""

from __future__ import annotations

from typing import Final

# --------------------------------------------------------------------------------------------
# Subject names as they appear in file/folder names and document headers.
# Each entry: subject code -> accented spellings (variants listed explicitly, so that "toàn"
# (whole) is never taken for "toán" (mathematics) although both fold to "toan").
# Longest match wins, so "khoa học tự nhiên" beats "khoa học".
# fmt: off
SUBJECT_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "toan": ("toán", "toán học", "môn toán", "math", "maths", "mathematics"),
    "tieng-viet": (
        "tiếng việt",
        "tập đọc",
        "chính tả",
        "luyện từ và câu",
        "luyện từ",
        "tập làm văn",
        "kể chuyện",
        "tập viết",
        "học vần",
        "đọc thầm",
    ),
    "ngu-van": ("ngữ văn", "văn học", "môn văn", "literature"),
    "tieng-anh": ("tiếng anh", "anh văn", "english", "ngoại ngữ"),
    "dao-duc": ("đạo đức",),
    "tu-nhien-va-xa-hoi": ("tự nhiên và xã hội", "tự nhiên xã hội", "tự nhiên - xã hội"),
    "khoa-hoc": ("khoa học",),
    "lich-su-va-dia-li": (
        "lịch sử và địa lí",
        "lịch sử và địa lý",
        "lịch sử - địa lí",
        "lịch sử - địa lý",
        "lịch sử địa lí",
        "lịch sử địa lý",
        "sử địa",
    ),
    "tin-hoc-va-cong-nghe": ("tin học và công nghệ",),
    "giao-duc-cong-dan": ("giáo dục công dân", "công dân"),
    "khoa-hoc-tu-nhien": ("khoa học tự nhiên",),
    "cong-nghe": ("công nghệ", "kĩ thuật", "kỹ thuật"),
    "tin-hoc": ("tin học", "informatics", "computer science"),
    "lich-su": ("lịch sử", "history"),
    "dia-li": ("địa lí", "địa lý", "địa", "geography"),
    "giao-duc-kinh-te-va-phap-luat": (
        "giáo dục kinh tế và pháp luật",
        "giáo dục kinh tế - pháp luật",
        "kinh tế và pháp luật",
        "kinh tế pháp luật",
    ),
    "vat-li": ("vật lí", "vật lý", "physics"),
    "hoa-hoc": ("hoá học", "hóa học", "hoá", "hóa", "chemistry"),
    "sinh-hoc": ("sinh học", "sinh", "biology"),
    "giao-duc-the-chat": ("giáo dục thể chất", "thể dục", "thể chất"),
    "am-nhac": ("âm nhạc", "hát nhạc", "music"),
    "mi-thuat": ("mĩ thuật", "mỹ thuật", "mĩ thuật", "mỹ thuật"),
    "hoat-dong-trai-nghiem": (
        "hoạt động trải nghiệm",
        "hoạt động trải nghiệm, hướng nghiệp",
        "trải nghiệm hướng nghiệp",
        "hoạt động ngoài giờ lên lớp",
        "sinh hoạt lớp",
    ),
    "giao-duc-quoc-phong-va-an-ninh": (
        "giáo dục quốc phòng và an ninh",
        "giáo dục quốc phòng",
        "quốc phòng an ninh",
        "quốc phòng",
    ),
    "giao-duc-dia-phuong": ("giáo dục địa phương", "nội dung giáo dục của địa phương"),
}

# Single-word names that are too ambiguous in running text ("hoá" also means "becomes",
# "sinh" "to be born", "địa" a prefix) are only trusted in names and "Môn: ..." headers.
NAME_ONLY_SUBJECT_WORDS: Final[frozenset[str]] = frozenset({"hoá", "hóa", "sinh", "địa", "toán"})

# Upper-case abbreviations, matched case-sensitively as whole tokens of a name. "KH" is
# deliberately absent: in teachers' names it means "kế hoạch" (plan) far more often than
# "khoa học"; "CN", "TH", "CD" are absent for the same reason.
SUBJECT_ABBREVIATIONS: Final[dict[str, str]] = {
    "GDCD": "giao-duc-cong-dan",
    "KHTN": "khoa-hoc-tu-nhien",
    "TV": "tieng-viet",
    "LTVC": "tieng-viet",
    "LTVÀC": "tieng-viet",
    "TLV": "tieng-viet",
    "LT": "tieng-viet",  # "LT TỪ NHIỀU NGHĨA": luyện từ (và câu)
    "TNXH": "tu-nhien-va-xa-hoi",
    "TN&XH": "tu-nhien-va-xa-hoi",
    "LSĐL": "lich-su-va-dia-li",
    "LSDL": "lich-su-va-dia-li",
    "LS&ĐL": "lich-su-va-dia-li",
    "LS&DL": "lich-su-va-dia-li",
    "GDKT&PL": "giao-duc-kinh-te-va-phap-luat",
    "GDKTPL": "giao-duc-kinh-te-va-phap-luat",
    "KTPL": "giao-duc-kinh-te-va-phap-luat",
    "GDTC": "giao-duc-the-chat",
    "GDQP": "giao-duc-quoc-phong-va-an-ninh",
    "GDQPAN": "giao-duc-quoc-phong-va-an-ninh",
    "GDQP-AN": "giao-duc-quoc-phong-va-an-ninh",
    "HĐTN": "hoat-dong-trai-nghiem",
    "HDTN": "hoat-dong-trai-nghiem",
    "HĐTNHN": "hoat-dong-trai-nghiem",
    "HDTNHN": "hoat-dong-trai-nghiem",
    "GDĐP": "giao-duc-dia-phuong",
    "GDDP": "giao-duc-dia-phuong",
    "ĐĐ": "dao-duc",
    "TA": "tieng-anh",
    "SỬ": "lich-su",
    "LÝ": "vat-li",
    "LÍ": "vat-li",
}

# Subjects whose code depends on the grade band in the 2018 programme: the same content is
# "Lịch sử" in grade 10-12 but part of "Lịch sử và Địa lí" in grades 4-9, and so on.
# subject code -> ((first grade, last grade, code to use), ...)
GRADE_BAND_CODES: Final[dict[str, tuple[tuple[int, int, str], ...]]] = {
    "lich-su": ((1, 9, "lich-su-va-dia-li"),),
    "dia-li": ((1, 9, "lich-su-va-dia-li"),),
    "ngu-van": ((1, 5, "tieng-viet"),),
    "tieng-viet": ((6, 12, "ngu-van"),),
}

# The same, applied only to subjects guessed from *content* (a name saying "Vật lý 8" is kept
# as written: it is an old-programme book, and the curator sees the evidence).
CONTENT_GRADE_BAND_CODES: Final[dict[str, tuple[tuple[int, int, str], ...]]] = {
    **GRADE_BAND_CODES,
    "vat-li": ((1, 5, "khoa-hoc"), (6, 9, "khoa-hoc-tu-nhien")),
    "hoa-hoc": ((1, 5, "khoa-hoc"), (6, 9, "khoa-hoc-tu-nhien")),
    "sinh-hoc": ((1, 5, "khoa-hoc"), (6, 9, "khoa-hoc-tu-nhien")),
}

# --------------------------------------------------------------------------------------------
# Resource types: code -> accented spellings found in names and document headers.
TYPE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "bai-giang-dien-tu": (
        "bài giảng điện tử",
        "giáo án điện tử",
        "bài giảng",
        "e-learning",
        "elearning",
        "scorm",
    ),
    "video-bai-giang": ("video bài giảng", "video", "clip bài giảng"),
    "bai-trinh-chieu": ("bài trình chiếu", "trình chiếu", "slide", "slides", "powerpoint"),
    "ke-hoach-bai-day": (
        "kế hoạch bài dạy",
        "kế hoạch dạy học",
        "giáo án",
        "kế hoạch tuần",
        "kế hoạch giảng dạy",
        "lesson plan",
    ),
    "phieu-hoc-tap": (
        "phiếu học tập",
        "phiếu bài tập",
        "bài tập cuối tuần",
        "bài tập",
        "luyện tập",
        "ôn tập",
        "đề cương ôn tập",
        "worksheet",
        "exercises",
    ),
    "de-kiem-tra": (
        "đề kiểm tra",
        "đề thi",
        "đề thi thử",
        "đề minh họa",
        "đề minh hoạ",
        "bộ đề",
        "kiểm tra",
        "kiểm tra định kì",
        "kiểm tra định kỳ",
        "mã đề",
        "ma trận đề",
        "đáp án",
        "test",
        "exam",
    ),
    "sach-giao-khoa": ("sách giáo khoa", "sách giáo khoa điện tử", "textbook"),
    "tai-lieu-tham-khao": (
        "tài liệu tham khảo",
        "sách tham khảo",
        "sách giáo viên",
        "tài liệu",
        "chuyên đề",
    ),
    "hoc-lieu-am-thanh": ("học liệu âm thanh", "audio", "file nghe", "bài nghe"),
    "hinh-anh": ("hình ảnh", "infographic", "sơ đồ tư duy", "tranh ảnh"),
    "mo-phong": ("mô phỏng", "thí nghiệm ảo", "simulation", "phet"),
}

# Case-sensitive abbreviations for resource types in names.
TYPE_ABBREVIATIONS: Final[dict[str, str]] = {
    "KHBD": "ke-hoach-bai-day",
    "KHBH": "ke-hoach-bai-day",
    "GA": "ke-hoach-bai-day",
    "GAĐT": "bai-giang-dien-tu",
    "GADT": "bai-giang-dien-tu",
    "BGĐT": "bai-giang-dien-tu",
    "BGDT": "bai-giang-dien-tu",
    "PPT": "bai-trinh-chieu",
    "PBT": "phieu-hoc-tap",
    "PHT": "phieu-hoc-tap",
    "BTCT": "phieu-hoc-tap",
    "KTĐK": "de-kiem-tra",
    "KTDK": "de-kiem-tra",
    "KT": "de-kiem-tra",
    "CKI": "de-kiem-tra",
    "CKII": "de-kiem-tra",
    "GKI": "de-kiem-tra",
    "GKII": "de-kiem-tra",
    "GHKI": "de-kiem-tra",
    "GHKII": "de-kiem-tra",
    "CHKI": "de-kiem-tra",
    "CHKII": "de-kiem-tra",
    "SGK": "sach-giao-khoa",
    "SGV": "tai-lieu-tham-khao",
    "STK": "tai-lieu-tham-khao",
}

# File extensions say something about the type, weakly (a .ppt is a slide deck, but whether it
# is an "e-lecture" or a bare deck only its name or content says).
EXTENSION_TYPES: Final[dict[str, str]] = {
    **dict.fromkeys(("ppt", "pptx", "pptm", "pps", "ppsx", "odp", "key"), "bai-trinh-chieu"),
    **dict.fromkeys(("mp4", "m4v", "avi", "mkv", "mov", "wmv", "flv", "webm", "mpg", "mpeg"),
    "video-bai-giang"),
    **dict.fromkeys(("mp3", "m4a", "wav", "ogg", "oga", "opus", "flac", "aac", "wma", "amr"),
    "hoc-lieu-am-thanh"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp", "tif", "tiff", "bmp", "heic", "avif", "svg"),
    "hinh-anh"),
    **dict.fromkeys(("sb3", "swf", "ggb"), "mo-phong"),
}

# --------------------------------------------------------------------------------------------
# Textbook series of the 2018 programme.
SERIES_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "ket-noi-tri-thuc": ("kết nối tri thức với cuộc sống", "kết nối tri thức", "kết nối"),
    "chan-troi-sang-tao": ("chân trời sáng tạo", "chân trời"),
    "canh-dieu": ("cánh diều",),
}
SERIES_ABBREVIATIONS: Final[dict[str, str]] = {
    "KNTT": "ket-noi-tri-thuc",
    "KNTTVCS": "ket-noi-tri-thuc",
    "CTST": "chan-troi-sang-tao",
}

# --------------------------------------------------------------------------------------------
# Subject content lexicons: code -> {term: weight}. Weights: 3 = nearly only this subject
# uses it, 2 = typical, 1 = common here but shared with others. Multi-syllable terms are
# preferred: single syllables fold into too many other words.
SUBJECT_TERMS: Final[dict[str, dict[str, float]]] = {
    "toan": {
        "hàm số": 3, "đồ thị hàm số": 2, "phương trình": 2, "bất phương trình": 3, "hệ phương trình": 3,
        "đạo hàm": 3, "nguyên hàm": 3, "tích phân": 3, "số phức": 3, "logarit": 3, "lôgarit": 3,
        "mặt phẳng": 2, "đường thẳng": 2, "mặt cầu": 3, "hình chóp": 3, "lăng trụ": 3, "hình nón": 3,
        "hình trụ": 3, "thể tích khối": 3, "khối chóp": 3, "cực trị": 3, "cực đại": 2, "cực tiểu": 2,
        "tiệm cận": 3, "giá trị lớn nhất": 2, "giá trị nhỏ nhất": 2, "nghịch biến": 3, "đồng biến": 3,
        "tọa độ": 1, "toạ độ": 1, "vectơ": 2, "véc tơ": 2, "cấp số cộng": 3, "cấp số nhân": 3,
        "tổ hợp": 2, "chỉnh hợp": 3, "xác suất": 2, "số thực": 2, "tập nghiệm": 3, "nghiệm": 1,
        "tam giác": 1, "hình vuông": 2, "hình chữ nhật": 2, "hình thang": 2, "hình tròn": 2,
        "phân số": 3, "số thập phân": 3, "số tự nhiên": 2, "phép cộng": 2, "phép trừ": 2, "phép nhân": 2,
        "phép chia": 2, "chu vi": 2, "diện tích": 1, "thể tích": 1, "bán kính": 1, "đường kính": 1,
        "góc": 0.5, "số nguyên": 2, "biểu thức": 2, "mệnh đề": 1, "tập hợp": 1, "đa thức": 3,
        "căn bậc": 3, "lũy thừa": 2, "luỹ thừa": 2, "trung điểm": 2, "hình học": 2, "đại số": 2,
        "giải tích": 2, "tiếp tuyến": 2, "số hạng": 2, "công sai": 3, "công bội": 3, "mũ": 0.5,
        "hình hộp": 2, "lập phương": 1, "elip": 2, "parabol": 2, "cạnh": 0.5, "đỉnh": 0.5,
        "thực hiện phép tính": 3, "tính giá trị": 1, "trục hoành": 3, "trục tung": 3,
        "re:\\$": 1,
        "re:\\\\(?:frac|dfrac|sqrt|int|lim|left|right|le|ge|leq|geq|in|mathbb|mathrm|infty|cdot|overrightarrow|widehat|log|ln|sin|cos|tan|cot)\\b": 2,  # noqa: E501
        "re:\\b[xyz]\\s*\\^\\s*\\{?\\d": 2, "re:\\b[fgh]\\s*\\(\\s*x\\s*\\)": 3, "re:\\bOxyz?\\b": 3,
        "re:[∫√≤≥∞∈∅⊂∩∪]": 2, "re:\\bC_\\{?\\d|\\bA_\\{?\\d": 2,
        "re:\\b(?:log|ln)\\s*_?\\{?\\d*\\}?\\s*[\\(x\\d]": 2,
        "re:\\by\\s*=\\s*[-\\dx\\\\]": 2,
    },
    "vat-li": {
        "dao động": 3, "dao động điều hòa": 3, "dao động điều hoà": 3, "con lắc": 3, "lò xo": 3,
        "sóng cơ": 3, "sóng dừng": 3, "sóng điện từ": 3, "bước sóng": 3, "tần số": 2, "chu kì": 1,
        "chu kỳ": 1, "biên độ": 2, "li độ": 3, "pha ban đầu": 3, "điện áp": 3, "cường độ dòng điện": 3,
        "dòng điện": 2, "điện trở": 3, "tụ điện": 3, "cuộn cảm": 3, "cảm kháng": 3, "dung kháng": 3,
        "hệ số công suất": 3, "công suất": 1, "từ trường": 3, "điện trường": 3, "cảm ứng từ": 3,
        "hạt nhân": 2, "phóng xạ": 3, "phôtôn": 3, "photon": 3, "quang điện": 3, "giao thoa": 3,
        "khúc xạ": 3, "thấu kính": 3, "vận tốc": 2, "gia tốc": 3, "động năng": 3, "thế năng": 3,
        "cơ năng": 3, "máy biến áp": 3, "máy phát điện": 3, "suất điện động": 3, "êlectron": 1,
        "electron": 1, "prôtôn": 2, "nơtron": 2, "nuclôn": 3, "tia x": 2, "tia hồng ngoại": 3,
        "tia tử ngoại": 3, "quang phổ": 3, "ánh sáng": 1, "laze": 3, "mạch dao động": 3, "mạch điện": 2,
        "mạch": 0.5, "lực đàn hồi": 3, "lực kéo về": 3, "trọng lực": 2, "gia tốc trọng trường": 3,
        "nguồn điện": 2, "năng lượng liên kết": 3, "độ hụt khối": 3, "vân sáng": 3, "vân tối": 3,
        "phát quang": 3, "huỳnh quang": 3, "đơn sắc": 3, "quang phát quang": 3, "khe": 1, "sóng âm": 3,
        "cường độ âm": 3, "mức cường độ âm": 3, "nhiệt độ": 0.5, "vật nhỏ": 2,
        "chất điểm": 3, "điện tích": 2, "cu-lông": 3, "culông": 3, "ampe": 2, "vôn": 2, "oát": 2,
        "re:\\b\\d+(?:[.,]\\d+)?\\s*(?:Hz|kHz|MHz|V|mV|kV|Ω|ohm|mA|A|W|kW|J|eV|MeV|N|N/m|m/s|cm/s|rad/s|μm|µm|nm|mH|μF|µF|T|dB)\\b": 2,  # noqa: E501
        "re:ω|λ|φ|Ω|μF|µF": 1, "re:\\bcos\\s*\\(\\s*\\\\?(?:omega|ω|\\d+\\s*\\\\?(?:pi|π))\\s*t": 3,
    },
    "hoa-hoc": {
        "dung dịch": 2, "phản ứng": 2, "mol": 2, "kim loại": 2, "axit": 2, "bazơ": 3, "muối": 1,
        "este": 3, "ancol": 3, "anđehit": 3, "andehit": 3, "axit cacboxylic": 3, "amin": 2, "amino axit": 2,
        "polime": 3, "chất béo": 3, "glucozơ": 3, "saccarozơ": 3, "fructozơ": 3, "tinh bột": 2,
        "xenlulozơ": 3, "điện phân": 3, "oxi hóa": 2, "oxi hoá": 2, "chất khử": 3, "kết tủa": 3,
        "chất khí": 1, "khí": 0.5, "đktc": 3, "nguyên tố": 2, "hiđrocacbon": 3, "hidrocacbon": 3,
        "ankan": 3, "anken": 3, "ankin": 3, "benzen": 3, "phenol": 3, "nung nóng": 2, "thủy phân": 3,
        "thuỷ phân": 3, "xà phòng hóa": 3, "xà phòng hoá": 3, "trùng hợp": 3, "trùng ngưng": 3,
        "hỗn hợp": 1, "gam": 1, "khối lượng": 0.5, "tơ": 1, "tripanmitin": 3, "triolein": 3, "tristearin": 3,
        "cacbohiđrat": 3, "peptit": 3, "đipeptit": 3, "đồng phân": 3, "công thức phân tử": 3,
        "nồng độ": 2, "thí nghiệm": 1, "ăn mòn": 3, "hợp kim": 2, "oxit": 3, "hiđroxit": 3, "hidroxit": 3,
        "natri": 2, "kali": 2, "canxi": 2, "magie": 2, "nhôm": 2, "sắt": 1, "đồng": 0.3, "crom": 3,
        "clo": 2, "lưu huỳnh": 2, "cacbon": 1, "nitơ": 1, "photpho": 2, "amoniac": 3, "brom": 3,
        "quỳ tím": 3, "phenolphtalein": 3, "chất điện li": 3, "độ ph": 2, "metyl": 3, "etyl": 3,
        "vinyl": 3, "axetat": 3, "fomat": 3, "phân tử khối": 3, "số oxi hóa": 3,
        "re:\\b(?:NaOH|HCl|H2SO4|HNO3|NaCl|KOH|CO2|H2O|Fe|Cu|Al|Zn|Mg|AgNO3|NH3|CH3COOH|C2H5OH|Ba\\(OH\\)2|Ca\\(OH\\)2)\\b": 2,  # noqa: E501
        "re:→|⟶|\\\\rightarrow|\\\\xrightarrow": 1,
    },
    "sinh-hoc": {
        "gen": 3, "alen": 3, "kiểu gen": 3, "kiểu hình": 3, "nhiễm sắc thể": 3, "adn": 3, "arn": 3,
        "marn": 3, "tarn": 3, "rarn": 3, "prôtêin": 2, "protein": 2, "đột biến": 3, "quần thể": 3,
        "quần xã": 3, "hệ sinh thái": 3, "loài": 2, "tiến hóa": 3, "tiến hoá": 3, "chọn lọc tự nhiên": 3,
        "di truyền": 3, "phiên mã": 3, "dịch mã": 3, "nuclêôtit": 3, "nucleotit": 3, "côđon": 3,
        "codon": 3, "thực vật": 2, "động vật": 2, "tế bào": 3, "hô hấp": 2, "quang hợp": 3, "giao tử": 3,
        "trội": 3, "lặn": 3, "sinh vật": 2, "chuỗi thức ăn": 3, "lưới thức ăn": 3, "hoán vị gen": 3,
        "liên kết gen": 3, "cá thể": 2, "ổ sinh thái": 3, "diễn thế": 3, "operon": 3, "nhân đôi": 2,
        "dị hợp": 3, "đồng hợp": 3, "phép lai": 3, "thể ba": 3, "thể một": 3, "đa bội": 3, "lưỡng bội": 3,
        "đơn bội": 3, "nguyên phân": 3, "giảm phân": 3, "hệ tuần hoàn": 3, "tiêu hóa": 2, "tiêu hoá": 2,
        "huyết áp": 2, "tim": 1, "máu": 1, "rễ": 2, "lá": 1, "khí khổng": 3, "thoát hơi nước": 3,
        "sinh sản": 2, "sinh trưởng": 2, "môi trường": 0.5, "mật độ": 1,
        "cây": 1, "ruồi giấm": 3, "đậu hà lan": 3, "mendel": 3, "menđen": 3, "sinh khối": 3,
        "bậc dinh dưỡng": 3, "sinh vật sản xuất": 3, "sinh vật tiêu thụ": 3, "enzim": 2, "hoocmôn": 2,
        "re:\\b(?:F1|F2|F3|Fa)\\b": 3, "re:\\b(?:AaBb|AABB|aabb|Aa|aa|AA|XAXa|XaY|XAY|Bb|bb)\\b": 2,
    },
    "tieng-anh": {
        # English function words are counted by the language detector instead; these catch the
        # Vietnamese instructions of English papers and English-teaching vocabulary.
        "tiếng anh": 2, "mark the letter": 3, "answer sheet": 3, "closest in meaning": 3,
        "opposite in meaning": 3, "underlined": 2, "pronunciation": 3, "stress": 2, "passage": 2,
        "vocabulary": 2, "grammar": 2, "unit": 1, "reading": 1, "listening": 1, "speaking": 1, "writing": 1,
    },
    "lich-su": {
        "chiến tranh": 2, "cách mạng": 3, "kháng chiến": 3, "đảng cộng sản": 3, "nguyễn ái quốc": 3,
        "hồ chí minh": 2, "thực dân pháp": 3, "đế quốc mĩ": 3, "đế quốc mỹ": 3, "chiến dịch": 3,
        "chiến thắng": 2, "điện biên phủ": 3, "phong trào": 2, "khởi nghĩa": 3, "liên xô": 3,
        "chiến tranh lạnh": 3, "hiệp định": 3, "giơ-ne-vơ": 3, "giơnevơ": 3, "pari": 1, "pa-ri": 2,
        "hội nghị": 2, "thế kỉ": 2, "thế kỷ": 2, "xô viết": 3, "mặt trận": 3, "việt minh": 3,
        "giải phóng": 2, "độc lập dân tộc": 3, "trung ương đảng": 3, "ban chấp hành trung ương": 3,
        "triều nguyễn": 3, "phát xít": 3, "đồng minh": 3, "liên hợp quốc": 2, "trật tự hai cực": 3,
        "ianta": 3, "quân pháp": 3, "quân mĩ": 3, "quân mỹ": 3, "tổng tiến công": 3, "tổng khởi nghĩa": 3,
        "nhân dân ta": 2, "đấu tranh": 2, "cuộc": 0.5, "chủ nghĩa": 2, "xã hội chủ nghĩa": 2,
        "tư bản chủ nghĩa": 2, "thuộc địa": 3, "khai thác thuộc địa": 3, "đế quốc": 2, "vô sản": 3,
        "công nhân": 1, "nông dân": 1, "giai cấp": 2, "tư sản": 2, "quốc tế": 1, "ngụy": 3, "ngụy quân": 3,
        "việt nam cộng hòa": 3, "chính quyền sài gòn": 3, "tiến công": 2, "miền bắc": 1, "miền nam": 1,
        "quân giải phóng": 3, "chủ tịch": 1, "nhà nước việt nam dân chủ cộng hòa": 3,
        "việt nam dân chủ cộng hòa": 3, "chiến lược": 1, "chiến tranh đặc biệt": 3,
        "chiến tranh cục bộ": 3, "việt nam hóa chiến tranh": 3, "sự kiện": 2, "thời kì": 1,
        "nhật bản": 0.5, "mĩ la-tinh": 2, "asean": 1, "cách mạng tháng tám": 3, "tổng tuyển cử": 3,
        "lịch sử": 2, "cải cách": 1, "vua": 2, "thời": 0.5, "ách thống trị": 3, "xâm lược": 3,
        "quân dân": 3, "binh lính": 2, "quân đội": 1, "cộng sản": 3, "quốc dân đảng": 3,
        "duy tân": 2, "cần vương": 3, "hội việt nam cách mạng thanh niên": 3,
        "trật tự thế giới": 3, "chiến tranh thế giới": 3, "thế giới thứ hai": 3, "thế giới thứ nhất": 3,
        "toàn cầu hóa": 2, "toàn cầu hoá": 2, "xu thế": 2, "đông bắc á": 2, "tây âu": 3, "đông âu": 3,
        "mĩ": 1, "nato": 3, "vác-sa-va": 3, "vacsava": 3, "hiệp ước": 3, "đảng ta": 3, "đường lối": 3,
        "hội đồng bảo an": 3, "triều đình": 3, "nhà nguyễn": 3, "bắc kì": 3, "trung kì": 3, "nam kì": 3,
        "chiến khu": 3, "căn cứ địa": 3, "khủng hoảng": 1, "liên minh": 2, "độc lập": 2,
        "chủ quyền": 1, "thực dân": 3, "tư bản": 2, "phe": 2, "hai cực": 3, "đơn cực": 3, "đa cực": 3,
        "ấn độ": 1, "cộng hòa nhân dân trung hoa": 3, "triều tiên": 2, "tờ báo": 2,
        "ra đời": 1, "thành lập": 2, "lãnh đạo": 1, "cương lĩnh": 3, "nghị quyết": 2, "tuyên ngôn": 3,
        "đại hội": 2, "cách mạng khoa học": 3, "quốc gia": 0.5, "kế hoạch": 1, "phong kiến": 3,
        "re:\\bthế\\s+k[ỉỷ]\\s+[XVI]+\\b": 3,
        "re:\\b(?:năm|Năm)\\s+1[89]\\d\\d\\b": 2, "re:\\b1[89]\\d\\d\\b": 1,
        "re:\\(\\s*1[89]\\d\\d\\s*[-–]\\s*(?:1[89])?\\d\\d\\s*\\)": 3,
    },
    "dia-li": {
        "atlat": 3, "atlat địa lí": 3, "nước ta": 1, "vùng": 2, "đồng bằng": 2, "đồng bằng sông cửu long": 3,
        "đồng bằng sông hồng": 3, "trung du": 3, "miền núi": 2, "tây nguyên": 3, "bắc trung bộ": 3,
        "duyên hải": 3, "nam trung bộ": 3, "đông nam bộ": 3, "khí hậu": 3, "gió mùa": 3, "mưa": 2,
        "lượng mưa": 3, "nhiệt độ": 2, "sản lượng": 3, "dân số": 3, "dân cư": 3, "mật độ dân số": 3,
        "lao động": 1, "biểu đồ": 3, "tỉ trọng": 3, "tỷ trọng": 3, "cơ cấu": 2, "công nghiệp": 2,
        "nông nghiệp": 2, "thủy sản": 3, "thuỷ sản": 3, "cây công nghiệp": 3, "chăn nuôi": 2,
        "địa hình": 3, "sông": 1, "núi": 1, "biển": 1, "đảo": 1, "xuất khẩu": 2, "nhập khẩu": 2,
        "du lịch": 2, "giao thông vận tải": 3, "đô thị hóa": 3, "đô thị hoá": 3, "đô thị": 2,
        "tài nguyên": 2, "khoáng sản": 3, "cảng": 2, "rừng": 2, "đất": 1, "feralit": 3, "tỉnh": 2,
        "thành phố": 1, "nghìn tấn": 3, "triệu tấn": 3, "triệu người": 3, "nghìn ha": 3, "triệu ha": 3,
        "tỉ usd": 3, "tỷ usd": 3, "triệu usd": 3, "gdp": 2, "tăng trưởng": 1, "kinh tế": 1,
        "vĩ độ": 3, "kinh độ": 3, "nhiệt đới": 3, "ẩm gió mùa": 3, "bão": 2, "lũ": 2, "hạn hán": 3,
        "sạt lở": 3, "thủy điện": 3, "thuỷ điện": 3, "nhiệt điện": 3, "lúa": 2, "cà phê": 2, "cao su": 2,
        "chè": 2, "hồ tiêu": 3, "mía": 2, "đông nam á": 2, "liên bang nga": 3, "hoa kì": 2, "hoa kỳ": 2,
        "trung quốc": 1, "châu phi": 3, "mĩ la tinh": 2, "eu": 2, "khu vực": 1, "lãnh thổ": 2,
        "hải đảo": 3, "vùng biển": 3, "thềm lục địa": 3, "trang": 1, "căn cứ": 1, "cho bảng số liệu": 3,
        "bảng số liệu": 3, "theo bảng số liệu": 3, "nguồn lao động": 3, "tải điện": 3, "vùng kinh tế": 3,
        "ngành": 1, "ven biển": 3, "sản xuất lương thực": 3, "chuyên môn hóa": 3, "chuyên môn hoá": 3,
        "năm 20": 0.5, "phân bố": 3, "sinh vật": 0.5,
        "re:\\b(?:19|20)\\d\\d\\s*[-–]\\s*(?:19|20)\\d\\d\\b": 1, "re:\\b\\d+(?:[.,]\\d+)?\\s*%": 1,
        "re:\\bnăm\\s+20[0-2]\\d\\b": 1,
    },
    "giao-duc-cong-dan": {
        "pháp luật": 3, "công dân": 3, "quyền": 2, "nghĩa vụ": 3, "vi phạm": 3, "trách nhiệm pháp lí": 3,
        "trách nhiệm pháp lý": 3, "hình sự": 3, "hành chính": 2, "kỉ luật": 3, "kỷ luật": 3, "dân sự": 3,
        "bình đẳng": 3, "hôn nhân": 3, "gia đình": 1, "kinh doanh": 2, "thuế": 2, "bầu cử": 3,
        "ứng cử": 3, "khiếu nại": 3, "tố cáo": 3, "nhà nước": 1, "hiến pháp": 3, "luật": 2,
        "giá trị hàng hóa": 3, "giá trị hàng hoá": 3, "hàng hóa": 2, "hàng hoá": 2, "thị trường": 2,
        "cạnh tranh": 2, "cung cầu": 3, "cung - cầu": 3, "quy luật giá trị": 3, "sản xuất": 1,
        "tự ý": 3, "bất khả xâm phạm": 3, "thân thể": 3, "chỗ ở": 3, "thư tín": 3, "tự do ngôn luận": 3,
        "xử phạt": 3, "tham nhũng": 3, "doanh nghiệp": 2, "tiền tệ": 3, "người có thẩm quyền": 3,
        "ủy ban nhân dân": 2, "uỷ ban nhân dân": 2, "giám đốc": 3, "nhân viên": 3, "hối lộ": 3,
        "tòa án": 3, "toà án": 3, "viện kiểm sát": 3, "công an": 2, "cơ quan": 1,
        "thời gian lao động xã hội": 3,
        "lao động": 1, "sở hữu": 2, "tài sản": 2, "thừa kế": 3, "quyền và nghĩa vụ": 3,
        "vợ": 2, "chồng": 2, "anh": 0.5, "chị": 1, "ông": 0.5, "bà": 0.5, "em": 0.5, "cửa hàng": 2,
        "giấy phép": 3, "đăng kí": 2, "đăng ký": 2, "trái phép": 3, "không đúng quy định": 3,
        "quy định": 2, "dân chủ": 2, "xã hội": 1, "đạo đức": 2, "lợi ích": 2, "tôn giáo": 2,
        "dân tộc": 1, "bí mật": 2, "danh dự": 3, "nhân phẩm": 3, "sức khỏe": 1, "tính mạng": 3,
        "học tập": 1, "sáng tạo": 1, "phát triển": 0.5, "người tiêu dùng": 3, "chủ thể": 3,
        "người sản xuất": 3, "lưu thông": 2, "tiền": 1, "kinh tế": 1, "vay": 2, "hợp đồng": 3,
        "chủ cửa hàng": 3, "trưởng phòng": 3, "phó giám đốc": 3, "cán bộ": 2, "công chức": 3,
        "re:\\b(?:[Aa]nh|[Cc]hị|[Ôô]ng|[Bb]à|[Ee]m|[Cc]ô|[Bb]ạn|[Cc]háu|[Cc]hú|[Vv]ợ|[Cc]hồng)\\s+[A-ZĐ]\\b": 3,  # noqa: E501
        "re:\\b(?:các|hai|ba)\\s+anh\\s+[A-ZĐ]\\b": 3,
        "quy phạm": 3, "tính quy phạm phổ biến": 3, "xử sự": 3, "đặc trưng": 1, "công bằng xã hội": 3,
        "phát triển kinh tế": 2, "tư liệu lao động": 3, "đối tượng lao động": 3, "công cụ lao động": 3,
        "sức lao động": 3, "tư liệu sản xuất": 3, "người lao động": 3, "người sử dụng lao động": 3,
        "quyền học tập": 3, "quản lí nhà nước": 3, "quản lý nhà nước": 3, "khu dân cư": 2, "chính sách": 1,
        "ngân sách": 2, "ý thức": 1, "tôn trọng": 2, "giáo dục": 1, "văn bản quy phạm pháp luật": 3,
        "thực hiện pháp luật": 3, "áp dụng pháp luật": 3, "tuân thủ pháp luật": 3, "sử dụng pháp luật": 3,
        "thi hành pháp luật": 3, "năng lực trách nhiệm pháp lí": 3, "bình đẳng giới": 3,
        "kinh tế thị trường": 2,
        "giá cả": 2, "cung": 0.5, "cầu": 0.5, "lạm phát": 2, "việc làm": 2, "bảo vệ môi trường": 1,
    },
    "ngu-van": {
        "tác phẩm": 3, "nhà văn": 3, "nhà thơ": 3, "tác giả": 2, "đoạn trích": 3, "bài thơ": 3,
        "truyện ngắn": 3, "nhân vật": 3, "nghị luận": 3, "cảm nhận": 3, "biện pháp tu từ": 3,
        "hình tượng": 3, "phong cách nghệ thuật": 3, "văn bản": 2, "đọc đoạn trích": 3, "khổ thơ": 3,
        "câu thơ": 3, "ẩn dụ": 3, "hoán dụ": 3, "nhân hóa": 3, "nhân hoá": 3, "điệp ngữ": 3, "thể thơ": 3,
        "phương thức biểu đạt": 3, "tây tiến": 2, "việt bắc": 1, "vợ chồng a phủ": 3, "vợ nhặt": 3,
        "chiếc thuyền ngoài xa": 3, "người lái đò": 3, "ai đã đặt tên cho dòng sông": 3,
        "rừng xà nu": 3, "những đứa con trong gia đình": 3, "đất nước": 1, "tiểu thuyết": 3,
        "thơ": 2, "văn": 1, "bài văn": 3, "viết đoạn văn": 3, "đoạn văn": 2, "chữ": 1,
        "theo tác giả": 3, "nghệ thuật": 2, "trích": 1,
    },
    "tieng-viet": {
        "luyện từ và câu": 3, "tập đọc": 3, "chính tả": 3, "kể chuyện": 3, "tập làm văn": 3,
        "từ đồng nghĩa": 3, "từ trái nghĩa": 3, "từ nhiều nghĩa": 3, "từ đồng âm": 3, "quan hệ từ": 3,
        "danh từ": 2, "động từ": 2, "tính từ": 2, "đại từ": 2, "câu ghép": 3, "dấu phẩy": 2,
        "đọc thầm": 3, "đọc hiểu": 2, "chủ ngữ": 2, "vị ngữ": 2, "trạng ngữ": 2, "học vần": 3,
        "tập viết": 3, "vần": 1, "âm": 0.3, "tiếng việt": 2,
    },
    "khoa-hoc": {
        "hiv": 3, "aids": 3, "phòng bệnh": 2, "sức khỏe": 1, "sức khoẻ": 1, "dinh dưỡng": 2,
        "vệ sinh": 1, "tuổi dậy thì": 3, "sốt xuất huyết": 3, "sốt rét": 3, "viêm gan": 3,
    },
    "tin-hoc": {
        "máy tính": 2, "phần mềm": 3, "thuật toán": 3, "lập trình": 3, "python": 3, "pascal": 3,
        "dữ liệu": 1, "internet": 2, "tệp": 2, "thư mục": 3, "bàn phím": 3, "con chuột": 2,
        "trang tính": 3, "trang chiếu": 3, "mạng máy tính": 3, "cơ sở dữ liệu": 3, "câu lệnh": 3,
    },
    "cong-nghe": {
        "bản vẽ kĩ thuật": 3, "bản vẽ kỹ thuật": 3, "trồng trọt": 3, "động cơ đốt trong": 3,
        "hình chiếu": 2, "vật liệu cơ khí": 3, "mạch điện tử": 3, "linh kiện": 3, "thiết kế kĩ thuật": 3,
    },
    "dao-duc": {"đạo đức": 2, "lễ phép": 3, "kính trọng": 2, "biết ơn": 2, "trung thực": 1},
    "am-nhac": {"bài hát": 3, "nốt nhạc": 3, "nhạc cụ": 3, "tiết tấu": 3, "khuông nhạc": 3, "hát": 1},
    "mi-thuat": {"vẽ tranh": 3, "màu sắc": 2, "nặn": 2, "tạo hình": 3, "trang trí": 2, "họa sĩ": 2},
    "giao-duc-the-chat": {"bài thể dục": 3, "bật nhảy": 3, "đội hình": 2, "trò chơi vận động": 3, "chạy": 1},
    "giao-duc-quoc-phong-va-an-ninh": {"quốc phòng": 3, "điều lệnh": 3, "băng bó": 3, "súng": 2},
}

# English function words: a text dense in them is English (and, in this repository, then
# most likely English-language teaching material).
ENGLISH_STOPWORDS: Final[frozenset[str]] = frozenset(
    """the a an of to in on at for with by from and or but not is are was were be been being
    has have had do does did will would can could should may might must this that these those
    it its they them their he she his her we our you your i me my which who whom what when where
    why how there here as if than then so such very too also only just about into over under
    after before because while during through between each other some any all most more""".split()
)
# fmt: on

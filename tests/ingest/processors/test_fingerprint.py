from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from ingest.processors.fingerprint import hamming, image_dhash, text_simhash

LESSON = (
    "Bài 12. Diện tích hình tam giác. Muốn tính diện tích hình tam giác ta lấy độ dài đáy nhân với chiều cao "
    "(cùng một đơn vị đo) rồi chia cho 2. Ví dụ: tam giác có đáy 8 cm và chiều cao 6 cm thì diện tích là 24 "
    "xăng-ti-mét vuông. Hoạt động 1: cắt hai hình tam giác bằng nhau, ghép lại thành một hình chữ nhật có chiều "
    "dài bằng đáy và chiều rộng bằng chiều cao của tam giác, rồi so sánh diện tích. Hoạt động 2: đo đáy và chiều "
    "cao của các tam giác vẽ trong vở, tính diện tích và ghi kết quả vào bảng. Luyện tập: tính diện tích hình tam "
    "giác có độ dài đáy 15 dm và chiều cao 9 dm; một mảnh vườn hình tam giác có đáy 24 m, chiều cao bằng hai phần "
    "ba đáy, hỏi diện tích mảnh vườn là bao nhiêu mét vuông? Vận dụng: em hãy đo một chiếc khăn quàng đỏ và tính "
    "diện tích của nó. Ghi nhớ: đáy và chiều cao phải cùng đơn vị đo trước khi nhân."
)


class TestTextSimhash:
    def test_small_edit_moves_few_bits_and_other_text_many(self) -> None:
        a = text_simhash(LESSON)
        edited = text_simhash(LESSON.replace("Ví dụ:", "Chẳng hạn:"))
        other = text_simhash(
            (
                "Quang hợp là quá trình lá cây dùng ánh sáng mặt trời, nước và khí các-bô-níc "
                "để tạo ra chất bột đường và nhả khí ô-xi. "
            )
            * 4
        )
        assert a is not None and edited is not None and other is not None
        assert hamming(a, edited) <= 3
        assert hamming(a, other) >= 10

    def test_accents_and_unicode_form_do_not_matter(self) -> None:
        import unicodedata

        assert text_simhash(unicodedata.normalize("NFD", LESSON)) == text_simhash(LESSON)

    def test_too_short_text_has_no_fingerprint(self) -> None:
        assert text_simhash("Phân số") is None


class TestImageDhash:
    def test_resized_copy_is_near_and_a_different_picture_is_far(self, tmp_path: Path) -> None:
        im = Image.new("RGB", (640, 480), "white")
        draw = ImageDraw.Draw(im)
        draw.polygon([(50, 400), (600, 400), (200, 60)], fill="navy")
        draw.ellipse((420, 40, 600, 220), fill="orange")
        im.save(tmp_path / "a.png")
        im.resize((320, 240)).save(tmp_path / "b.webp", quality=60)
        other = Image.new("RGB", (640, 480), "white")
        ImageDraw.Draw(other).rectangle((300, 20, 620, 460), fill="darkgreen")
        other.save(tmp_path / "c.png")
        a, b, c = (image_dhash(tmp_path / n) for n in ("a.png", "b.webp", "c.png"))
        assert a is not None and b is not None and c is not None
        assert hamming(a, b) <= 3
        assert hamming(a, c) > 10

    def test_unreadable_image_has_no_fingerprint(self, tmp_path: Path) -> None:
        (tmp_path / "x.png").write_bytes(b"not an image")
        assert image_dhash(tmp_path / "x.png") is None

"""The portal's message catalogue (Vietnamese first, English available) and locale formatting.

Every string a page shows comes from :data:`MESSAGES`; :func:`translate` raises on an unknown
key, so a template cannot show an untranslated string without a test failing. Labels of codes
(subjects, grades, types...) come from the vocabularies, which carry both languages.

The language is chosen by ``?lang=vi|en`` (remembered in the ``hl_lang`` cookie), then that
cookie, then Vietnamese.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from fastapi import Request

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"
LANG_COOKIE = "hl_lang"

# key → (Vietnamese, English). Placeholders use str.format names. A message about a number of
# things takes ``count=`` (the number itself; ``n`` is the formatted one): English gives
# "singular|plural" forms, Vietnamese has no plural ("1 học liệu", "5 học liệu").
MESSAGES: dict[str, tuple[str, str]] = {
    "site.name": ("Kho học liệu số", "Digital Learning Materials"),
    "site.tagline": (
        "Học liệu miễn phí cho mọi học sinh, giáo viên",
        "Free learning materials for every pupil and teacher",
    ),
    "nav.home": ("Trang chủ", "Home"),
    "nav.skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "nav.main": ("Điều hướng chính", "Main navigation"),
    "nav.teach": ("Học liệu của tôi", "My materials"),
    "nav.upload": ("Tải lên", "Upload"),
    "nav.review": ("Kiểm duyệt", "Review"),
    "nav.admin": ("Quản trị", "Administration"),
    "nav.signin": ("Đăng nhập", "Sign in"),
    "nav.signout": ("Đăng xuất", "Sign out"),
    "nav.breadcrumb": ("Bạn đang ở", "You are here"),
    "nav.lang_switch": ("English", "Tiếng Việt"),
    "nav.lang_switch_label": ("Xem bằng tiếng Anh", "Xem bằng tiếng Việt"),
    "footer.api": ("API dữ liệu mở", "Open data API"),
    "footer.kept": ("Bài đã lưu để học không cần mạng", "Lessons kept for offline reading"),
    "app.name": ("Hoclieu: Kho học liệu số", "Hoclieu: digital learning materials"),
    "offline.title": ("Bài đã lưu", "Kept lessons"),
    "captions.title": ("Phụ đề", "Captions"),
    "search.filters_on": ("đang lọc", "active"),
    "facet.audience": ("Dành cho", "Intended for"),
    "search.audience_default": (
        "Đang hiện học liệu cho học sinh. Chọn “Giáo viên” để xem cả kế hoạch bài dạy, ma trận đề…",
        "Showing material for students. Choose “Teacher” to include lesson plans, exam matrices…",
    ),
    "search.audience_default_teacher": (
        "Đang hiện mọi học liệu, kể cả học liệu chỉ dành cho giáo viên.",
        "Showing all material, teachers-only material included.",
    ),
    "captions.none": ("chưa có phụ đề", "no captions yet"),
    "captions.file": ("Tệp phụ đề (WebVTT .vtt hoặc SRT .srt)", "Caption file (WebVTT .vtt or SRT .srt)"),
    "captions.upload": ("Tải phụ đề lên", "Upload captions"),
    "captions.saved": ("Đã lưu phụ đề.", "Captions saved."),
    "offline.intro": (
        "Những bài bạn đã mở trên máy này được giữ lại để xem khi không có mạng (tối đa {n} bài; "
        "bài cũ nhất tự xóa). Video chỉ được giữ khi bạn bấm “Lưu video”.",
        "Lessons you opened on this device are kept for reading without a connection (at most {n}; "
        "the oldest goes first). Videos are kept only when you press “Keep video”.",
    ),
    "offline.no_network": (
        "Không có kết nối mạng. Trang bạn mở chưa được lưu; đây là các bài đã lưu.",
        "No connection. The page you opened was not kept; here are the kept lessons.",
    ),
    "offline.needs_js": ("Danh sách cần JavaScript.", "The list needs JavaScript."),
    "offline.empty": ("Chưa có bài nào được lưu.", "No lesson kept yet."),
    "offline.remove": ("Xóa", "Remove"),
    "offline.videos": ("Video đã lưu: {n}", "Kept videos: {n}"),
    "offline.clear_videos": ("Xóa các video đã lưu", "Remove kept videos"),
    "offline.keep_video": (
        "Lưu video để xem khi không có mạng ({size})",
        "Keep video for offline viewing ({size})",
    ),
    "offline.keeping": ("Đang lưu…", "Keeping…"),
    "offline.kept_video": ("Đã lưu video trên máy này", "Video kept on this device"),
    "offline.keep_failed": ("Không lưu được video (máy hết chỗ?)", "Could not keep the video (device full?)"),
    "footer.json": ("Trang này dạng JSON", "This page as JSON"),
    "search.label": ("Tìm học liệu", "Search materials"),
    "search.placeholder": ("Ví dụ: toán lớp 5 phân số", "For example: toan lop 5 phan so"),
    "search.submit": ("Tìm", "Search"),
    "search.title": ("Tìm kiếm", "Search"),
    "search.results_for": ("Kết quả cho “{q}”", "Results for “{q}”"),
    "search.all": ("Tất cả học liệu", "All materials"),
    "search.count": ("{n} học liệu", "{n} material|{n} materials"),
    "search.count_more": ("Hơn {n} học liệu", "More than {n} materials"),
    "search.none": ("Không tìm thấy học liệu phù hợp.", "No matching materials found."),
    "search.browse_instead": ("Xem theo lớp và môn", "Browse by grade and subject"),
    "search.popular_in": ("Được dùng nhiều ở đây", "Most used here"),
    "search.popular": ("Học liệu được dùng nhiều", "Most used materials"),
    "search.browse_grades": ("Xem học liệu theo lớp", "Browse materials by grade"),
    "search.did_you_mean": ("Có phải bạn muốn tìm", "Did you mean"),
    "search.filters": ("Lọc kết quả", "Filter results"),
    "search.apply": ("Áp dụng", "Apply"),
    "search.clear": ("Bỏ lọc", "Clear filters"),
    "search.page_hit": ("Trang {page}", "Page {page}"),
    "search.suggestions": ("Gợi ý", "Suggestions"),
    "search.prev": ("Trang trước", "Previous page"),
    "search.next": ("Trang sau", "Next page"),
    "search.paging": ("Trang {page} / {pages}", "Page {page} of {pages}"),
    "search.sort": ("Sắp xếp", "Sort"),
    "sort.relevance": ("Phù hợp nhất", "Most relevant"),
    "sort.newest": ("Mới nhất", "Newest"),
    "sort.popular": ("Xem nhiều", "Most viewed"),
    "facet.grade": ("Lớp", "Grade"),
    "facet.subject": ("Môn học", "Subject"),
    "facet.type": ("Loại học liệu", "Resource type"),
    "facet.series": ("Bộ sách", "Textbook series"),
    "facet.language": ("Ngôn ngữ", "Language"),
    "facet.organisation": ("Đơn vị đóng góp", "Contributing organisation"),
    "org.list_title": ("Đơn vị đóng góp", "Contributing organisations"),
    "org.none": ("Chưa có đơn vị nào.", "No organisations yet."),
    "org.members": ("{n} thành viên", "{n} member|{n} members"),
    "org.search_all": ("Tìm trong học liệu của đơn vị", "Search this organisation's materials"),
    "org.team": ("Thành viên", "Team"),
    "org.empty": ("Đơn vị chưa có học liệu được duyệt.", "No approved materials from this organisation yet."),
    "org.no_grade": ("Chưa xếp lớp", "No grade"),
    "org.no_subject": ("Chưa xếp môn", "No subject"),
    "org.see_all": ("Xem cả {n} học liệu", "See all {n} materials"),
    "org.role": ("Vai trò trong đơn vị", "Role in the organisation"),
    "org.role.member": ("Thành viên", "Member"),
    "org.role.curator": ("Người kiểm duyệt của đơn vị", "Organisation curator"),
    "org.role.manager": ("Người quản lý", "Manager"),
    "org.remove": ("Mời ra khỏi đơn vị", "Remove from the organisation"),
    "org.leave": ("Rời đơn vị", "Leave the organisation"),
    "org.invite": ("Mời thành viên", "Invite a member"),
    "org.curator_hint": (
        "Người kiểm duyệt của đơn vị phải là tài khoản người kiểm duyệt; họ duyệt học liệu của đơn vị.",
        "An organisation curator must be a curator account; they review the organisation's materials.",
    ),
    "org.kind.university": ("Trường đại học, khoa sư phạm", "University or pedagogy faculty"),
    "org.kind.department": ("Sở Giáo dục và Đào tạo", "Provincial department of education"),
    "org.kind.school": ("Trường học", "School"),
    "org.kind.publisher": ("Nhà xuất bản", "Publisher"),
    "org.kind.other": ("Đơn vị khác", "Other organisation"),
    "org.import": ("Nhập bộ sưu tập", "Import a collection"),
    "org.import_help": (
        "Gửi một tệp ZIP gồm bảng danh mục (CSV) và các tệp học liệu; bảng ánh xạ cho biết cột nào là "
        "trường nào. Chạy thử kiểm tra mọi dòng mà không ghi gì; chạy lại bỏ qua những tệp đã nhập.",
        "Send a ZIP holding the catalogue table (CSV) and the files; the mapping says which column is "
        "which field. A dry run checks every row and writes nothing; a re-run skips files already imported.",
    ),
    "org.mapping": ("Bảng ánh xạ cột (TOML)", "Column mapping (TOML)"),
    "org.table": (
        "Tên bảng CSV trong ZIP (nếu có nhiều bảng)",
        "The CSV inside the ZIP (if there are several)",
    ),
    "org.dry_run": ("Chạy thử: chỉ kiểm tra, không ghi gì", "Dry run: check only, write nothing"),
    "org.zip": ("Tệp ZIP của bộ sưu tập", "The collection's ZIP file"),
    "org.import_go": ("Kiểm tra / nhập", "Check / import"),
    "org.import_checked": ("Kết quả chạy thử", "Dry run results"),
    "org.import_done": ("Kết quả nhập", "Import results"),
    "org.row": ("Dòng", "Row"),
    "org.file": ("Tệp", "File"),
    "org.status": ("Kết quả", "Result"),
    "org.problems": ("Vấn đề", "Problems"),
    "org.status.would_create": ("Sẽ tạo", "Would be created"),
    "org.status.would_skip": ("Sẽ bỏ qua", "Would be skipped"),
    "org.status.invalid": ("Không hợp lệ", "Invalid"),
    "org.status.created": ("Đã tạo", "Created"),
    "org.status.skipped": ("Đã bỏ qua", "Skipped"),
    "org.status.failed": ("Lỗi", "Failed"),
    "home.title": ("Chọn lớp của em", "Choose your grade"),
    "home.total": (
        "Hiện có {n} học liệu đã được kiểm duyệt.",
        "{n} reviewed material available.|{n} reviewed materials available.",
    ),
    "level.tieu-hoc": ("Tiểu học", "Primary school"),
    "level.thcs": ("Trung học cơ sở", "Lower secondary"),
    "level.thpt": ("Trung học phổ thông", "Upper secondary"),
    "grade.label": ("Lớp {g}", "Grade {g}"),
    "grade.subjects": ("Các môn học lớp {g}", "Subjects in grade {g}"),
    "grade.empty": ("Chưa có học liệu", "No materials yet"),
    "count.materials": ("{n} học liệu", "{n} material|{n} materials"),
    "subject.title": ("{subject} lớp {g}", "{subject}, grade {g}"),
    "subject.none": ("Chưa có học liệu cho môn này.", "No materials for this subject yet."),
    "subject.search_all": ("Tìm trong môn này", "Search this subject"),
    "material.download": ("Tải về", "Download"),
    "material.download_original": ("Tải tệp gốc ({name}, {size})", "Download the original ({name}, {size})"),
    "material.download_pdf": ("Tải bản PDF ({size})", "Download as PDF ({size})"),
    "material.files": ("Tệp", "Files"),
    "material.details": ("Thông tin học liệu", "About this material"),
    "material.description": ("Mô tả", "Description"),
    "material.grades": ("Lớp", "Grades"),
    "material.subjects": ("Môn học", "Subjects"),
    "material.type": ("Loại", "Type"),
    "material.series": ("Bộ sách", "Series"),
    "material.chapter": ("Chương", "Chapter"),
    "material.lesson": ("Bài", "Lesson"),
    "material.license": ("Giấy phép", "Licence"),
    "material.authors": ("Tác giả", "Authors"),
    "material.language": ("Ngôn ngữ", "Language"),
    "material.updated": ("Cập nhật", "Updated"),
    "material.related": ("Học liệu liên quan", "Related materials"),
    "material.not_ready": ("Tệp này đang được xử lý ({status}).", "This file is being processed ({status})."),
    "material.failed": (
        "Không xem trực tuyến được tệp này. {error}",
        "This file cannot be viewed online. {error}",
    ),
    "material.failed_detail": (
        "Chi tiết (chỉ người tải lên và kiểm duyệt thấy):",
        "Detail (uploader and curators only):",
    ),
    "material.text": ("Nội dung dạng chữ", "Text version"),
    "material.text_more": ("Tải về để đọc tiếp.", "Download to read the rest."),
    "material.state": ("Trạng thái", "State"),
    "viewer.video": ("Video bài giảng", "Video lesson"),
    "viewer.quality": ("Chất lượng video", "Video quality"),
    "viewer.quality_hint": ("360p tiết kiệm dữ liệu", "360p saves data"),
    "reading.title": ("{title}: đọc dạng văn bản", "{title}: text view"),
    "reading.crumb": ("Đọc dạng văn bản", "Read as text"),
    "reading.link": ("Đọc dạng văn bản", "Read as text"),
    "reading.none": ("Tài liệu này chưa có văn bản để đọc.", "This document has no text to read yet."),
    "reading.back": ("Xem bản gốc", "See the original"),
    "progress.book": ("Đã học {done}/{total} bài", "Studied {done} of {total} lessons"),
    "book.volume": (", tập {n}", ", volume {n}"),
    "material.outcomes": ("Yêu cầu cần đạt", "Learning goals"),
    "material.lesson_nav": ("Bài trước, bài sau", "Previous and next lesson"),
    "material.prev_lesson": ("Bài trước", "Previous lesson"),
    "material.next_lesson": ("Bài sau", "Next lesson"),
    "home.continue": ("Học tiếp", "Continue"),
    "home.continue_at": ("Học tiếp: {title}", "Continue: {title}"),
    "home.continue_video": ("xem tiếp từ {time}", "resume at {time}"),
    "home.continue_note": (
        "Ghi nhớ trên máy này, không gửi đi đâu.",
        "Remembered on this device only, never sent anywhere.",
    ),
    "viewer.auto": (
        "Tự động theo tốc độ mạng (tốn dữ liệu hơn)",
        "Automatic, by network speed (uses more data)",
    ),
    "material.download_rendition": (
        "Tải video {label} để xem sau ({size})",
        "Download the {label} video for later ({size})",
    ),
    "material.download_listen": ("Tải bản chỉ nghe ({size})", "Download the listen-only audio ({size})"),
    "viewer.size": ("{label} ({size})", "{label} ({size})"),
    "viewer.no_video": (
        "Trình duyệt không phát được video này. Hãy tải về.",
        "Your browser cannot play this video. Download it instead.",
    ),
    "viewer.audio": ("Nghe", "Listen"),
    "viewer.listen": ("Chỉ nghe ({size})", "Listen only ({size})"),
    "viewer.listen_hint": (
        "Chỉ tải tiếng của bài giảng: ít dữ liệu hơn nhiều so với video.",
        "Only the lecture's sound: far less data than the video.",
    ),
    "viewer.page_of": ("Trang {page} / {pages}", "Page {page} of {pages}"),
    "viewer.page_alt": ("Trang {page} của “{title}”", "Page {page} of “{title}”"),
    "viewer.prev_page": ("Trang trước", "Previous page"),
    "viewer.next_page": ("Trang sau", "Next page"),
    "viewer.go_page": ("Đến trang", "Go to page"),
    "viewer.go": ("Xem", "Go"),
    "viewer.image_alt": ("Hình ảnh: {title}", "Image: {title}"),
    "viewer.package": ("Bài giảng điện tử", "E-lecture"),
    "viewer.lesson": ("Bài học HTML", "HTML lesson"),
    "viewer.package_unavailable": (
        "Máy chủ này chưa cấu hình nơi phát bài giảng (HOCLIEU_CONTENT_ORIGIN). Hãy tải tệp về để xem.",
        "This server has no content origin for playing lessons (HOCLIEU_CONTENT_ORIGIN). "
        "Download the file instead.",
    ),
    "viewer.preview_alt": ("Ảnh xem trước: {title}", "Preview: {title}"),
    "signature.title": ("Chữ ký phê duyệt", "Approval signature"),
    "signature.ok": (
        "Đã được phê duyệt (phiên bản {version}) và ký số; các tệp khớp với bản đã ký.",
        "Approved (version {version}) and digitally signed; the files match the signed manifest.",
    ),
    "signature.bad": (
        "Cảnh báo: tệp không khớp với bản đã ký.",
        "Warning: the files do not match the signed manifest.",
    ),
    "signature.none": ("Chưa có chữ ký phê duyệt.", "No approval signature yet."),
    "signature.by": ("Người duyệt: {curator}, lúc {at}", "Approved by {curator} on {at}"),
    "signature.key": ("Khoá công khai", "Public key"),
    "signin.title": ("Đăng nhập", "Sign in"),
    "signin.username": ("Tên đăng nhập", "Username"),
    "signin.password": ("Mật khẩu", "Password"),
    "signin.submit": ("Đăng nhập", "Sign in"),
    "signin.failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Incorrect username or password."),
    "signin.hint": (
        "Dành cho giáo viên, người kiểm duyệt và quản trị viên.",
        "For teachers, curators and administrators.",
    ),
    "signin.as": ("Đã đăng nhập: {name}", "Signed in as {name}"),
    "signin.locked": (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "Too many failed sign-ins. Please try again in a few minutes.",
    ),
    "nav.password": ("Đổi mật khẩu", "Change password"),
    "password.title": ("Đổi mật khẩu", "Change password"),
    "password.hint": (
        "Sau khi đổi, mọi phiên đăng nhập và mã truy cập khác của bạn bị thu hồi; phiên này vẫn giữ.",
        "After the change every other session and access token of yours is revoked; this one stays.",
    ),
    "password.current": ("Mật khẩu hiện tại", "Current password"),
    "password.new": ("Mật khẩu mới (ít nhất 8 ký tự)", "New password (at least 8 characters)"),
    "password.submit": ("Đổi mật khẩu", "Change password"),
    "password.done": ("Đã đổi mật khẩu.", "Your password has been changed."),
    "teach.title": ("Học liệu của tôi", "My materials"),
    "teach.none": ("Bạn chưa tải lên học liệu nào.", "You have not uploaded any materials yet."),
    "teach.upload_title": ("Tải học liệu lên", "Upload materials"),
    "teach.upload_help": (
        "Chọn một hoặc nhiều tệp. Mỗi tệp thành một học liệu; bạn điền thông tin sau khi tải lên.",
        "Choose one or more files. Each file becomes one material; you fill in its details after uploading.",
    ),
    "teach.files": ("Tệp", "Files"),
    "teach.upload_submit": ("Tải lên", "Upload"),
    "teach.uploaded": ("Đã tải lên", "Uploaded"),
    "teach.upload_failed": ("Tải lên thất bại: {error}", "Upload failed: {error}"),
    "teach.open": ("Điền thông tin", "Fill in details"),
    "teach.progress": ("Tiến độ tải lên {name}", "Upload progress of {name}"),
    "teach.resumable_help": (
        "Tệp lớn (video bài giảng) được gửi từng phần: nếu mất mạng, việc tải lên tự tiếp tục "
        "từ chỗ đã dừng, "
        "kể cả khi bạn tải lại trang và chọn lại đúng tệp đó.",
        "Large files (lecture videos) are sent in pieces: if the connection drops, the upload carries on "
        "from where it stopped, even after you reload the page and choose the same file again.",
    ),
    "teach.retrying": (
        "Mất kết nối, sẽ thử lại sau {s} giây (đã lưu {pct})",
        "Connection lost, retrying in {s} s ({pct} saved)",
    ),
    "teach.resuming": ("Tiếp tục từ {pct}", "Resuming from {pct}"),
    "teach.finishing": ("Đang hoàn tất…", "Finishing…"),
    "teach.edit_title": ("Thông tin học liệu", "Material details"),
    "teach.save": ("Lưu thông tin", "Save details"),
    "teach.saved": ("Đã lưu.", "Saved."),
    "teach.submit": ("Gửi kiểm duyệt", "Submit for review"),
    "teach.submitted": ("Đã gửi kiểm duyệt.", "Submitted for review."),
    "teach.withdraw": ("Rút lại", "Withdraw"),
    "teach.status": ("Trạng thái xử lý", "Processing status"),
    "teach.suggested": ("Gợi ý tự động: {value}", "Suggested: {value}"),
    "teach.duplicate": (
        "Tệp này trùng với một học liệu đã có.",
        "This file duplicates an existing material.",
    ),
    "teach.comments": ("Trao đổi với người kiểm duyệt", "Discussion with the curators"),
    "teach.no_comments": ("Chưa có trao đổi.", "No comments yet."),
    "teach.comment": ("Viết nhận xét", "Write a comment"),
    "teach.comment_submit": ("Gửi nhận xét", "Post comment"),
    "teach.view_public": ("Xem trang học liệu", "View the material page"),
    "field.title": ("Tiêu đề", "Title"),
    "field.description": ("Mô tả", "Description"),
    "field.grades": ("Lớp", "Grades"),
    "field.subjects": ("Môn học", "Subjects"),
    "field.type": ("Loại học liệu", "Resource type"),
    "field.series": ("Bộ sách", "Textbook series"),
    "field.chapter": ("Chương", "Chapter"),
    "field.lesson": ("Bài", "Lesson"),
    "field.language": ("Ngôn ngữ", "Language"),
    "field.license": ("Giấy phép", "Licence"),
    "field.keywords": ("Từ khoá (cách nhau bởi dấu phẩy)", "Keywords (comma separated)"),
    "field.none": ("— Chưa chọn —", "— None —"),
    "field.volume": ("Tập (sách nhiều tập)", "Volume (multi-volume books)"),
    "field.volume_hint": (
        "Ví dụ 1 cho “Tập 1”; để trống nếu sách chỉ có một tập.",
        "For example 1 for “Volume 1”; leave empty for a single-volume book.",
    ),
    "field.outcomes": ("Yêu cầu cần đạt", "Learning goals"),
    "field.outcomes_hint": ("Mỗi yêu cầu một dòng.", "One goal per line."),
    "form.title_required": ("Hãy nhập tiêu đề học liệu.", "Enter the material's title."),
    "form.volume_invalid": (
        "Tập sách là một số từ 1 đến 10 (ví dụ 1 cho “Tập 1”).",
        "The volume is a number from 1 to 10 (for example 1 for “Volume 1”).",
    ),
    "form.comment_required": (
        "Hãy viết nhận xét nói rõ cần sửa gì: yêu cầu chỉnh sửa hoặc từ chối đều cần nhận xét.",
        "Say what should change: requesting changes or rejecting needs a comment.",
    ),
    "form.decision_required": ("Hãy chọn một quyết định.", "Choose a decision."),
    "form.field_invalid": ("{field}: giá trị chưa hợp lệ.", "{field}: the value is not valid."),
    "form.rubric_required": (
        "Chưa thể phê duyệt: tiêu chí bắt buộc “{item}” chưa được xác nhận.",
        "Approval is blocked: the required item “{item}” is not confirmed.",
    ),
    "form.files_pending": (
        "Chưa gửi được: tệp vẫn đang được xử lý. Thông tin bạn nhập đã được lưu; "
        "hãy bấm “Gửi kiểm duyệt” khi tệp đã sẵn sàng.",
        "Not submitted yet: files are still being processed. What you typed is saved; "
        "press “Submit for review” once they are ready.",
    ),
    "form.files_failed": (
        "Chưa gửi được: có tệp xử lý thất bại; hãy thay tệp đó rồi gửi lại. Thông tin bạn nhập đã được lưu.",
        "Not submitted: a file failed to process; replace it and submit again. What you typed is saved.",
    ),
    "form.conflict": (
        "Thao tác này không thực hiện được ở trạng thái hiện tại của học liệu.",
        "This cannot be done in the material's current state.",
    ),
    "form.metadata_invalid": (
        "Có thông tin chưa hợp lệ; hãy sửa rồi lưu lại.",
        "Some details are not valid; fix them and save again.",
    ),
    "form.validation_failed": (
        "Có thông tin chưa hợp lệ; hãy sửa rồi gửi lại.",
        "Some details are not valid; fix them and send again.",
    ),
    "state.draft": ("Bản nháp", "Draft"),
    "state.submitted": ("Chờ kiểm duyệt", "Awaiting review"),
    "state.approved": ("Đã duyệt", "Approved"),
    "state.changes_requested": ("Cần chỉnh sửa", "Changes requested"),
    "state.rejected": ("Bị từ chối", "Rejected"),
    "state.withdrawn": ("Đã rút lại", "Withdrawn"),
    "status.queued": ("Đang chờ xử lý", "Queued"),
    "status.processing": ("Đang xử lý {pct}", "Processing {pct}"),
    "status.ready": ("Sẵn sàng", "Ready"),
    "status.failed": ("Lỗi: {error}", "Failed: {error}"),
    "review.title": ("Hàng chờ kiểm duyệt", "Review queue"),
    "review.none": (
        "Không có học liệu nào chờ duyệt trong phạm vi của bạn.",
        "Nothing awaits review in your scope.",
    ),
    "review.submitted_by": ("Gửi bởi {who}, {at}", "Submitted by {who}, {at}"),
    "review.claimed_by": ("Đang được {who} xem", "Claimed by {who}"),
    "review.open": ("Xem và duyệt", "Open and review"),
    "review.select": ("Chọn {title}", "Select {title}"),
    "review.bulk": ("Duyệt hàng loạt các mục đã chọn", "Decide the selected items"),
    "review.decision": ("Quyết định", "Decision"),
    "review.approve": ("Phê duyệt", "Approve"),
    "review.request_changes": ("Yêu cầu chỉnh sửa", "Request changes"),
    "review.reject": ("Từ chối", "Reject"),
    "review.comment": (
        "Nhận xét (bắt buộc khi yêu cầu sửa hoặc từ chối)",
        "Comment (required to request changes or reject)",
    ),
    "review.rubric": ("Tiêu chí kiểm duyệt", "Review rubric"),
    "review.rubric.curriculum_alignment": (
        "Đúng chương trình (môn, lớp, bài)",
        "Curriculum alignment correct (subject, grade, lesson)",
    ),
    "review.rubric.license_clear": ("Giấy phép rõ ràng", "Licence clear"),
    "review.rubric.content_accurate": ("Nội dung chính xác", "Content accurate"),
    "review.rubric.quality_accessibility": (
        "Chất lượng và khả năng tiếp cận đạt yêu cầu",
        "Quality and accessibility acceptable",
    ),
    "review.required": ("(bắt buộc)", "(required)"),
    "review.submit": ("Gửi quyết định", "Send decision"),
    "review.done": ("Đã ghi nhận quyết định.", "Decision recorded."),
    "review.preview": ("Xem trước", "Preview"),
    "review.metadata": ("Thông tin", "Metadata"),
    "review.suggestions": ("Gợi ý tự động", "Automatic suggestions"),
    "review.duplicates": ("Có tệp trùng với học liệu khác", "Some files duplicate another material"),
    "review.failed_files": (
        "{n} tệp xử lý lỗi; lý do chấp nhận: {reason}",
        "{n} file failed; accepted because: {reason}|{n} files failed; accepted because: {reason}",
    ),
    "review.integrity": ("Vấn đề toàn vẹn", "Integrity problems"),
    "review.owner": ("Người tải lên", "Uploaded by"),
    "admin.users": ("Người dùng và vai trò", "Users and roles"),
    "admin.audit": ("Nhật ký kiểm toán", "Audit log"),
    "admin.integrity": ("Toàn vẹn dữ liệu", "Data integrity"),
    "admin.username": ("Tên đăng nhập", "Username"),
    "admin.role": ("Vai trò", "Role"),
    "admin.scope": ("Phạm vi", "Scope"),
    "admin.disabled": ("Đã khoá", "Disabled"),
    "admin.active": ("Đang hoạt động", "Active"),
    "admin.set_role": ("Đổi vai trò", "Change role"),
    "admin.save": ("Lưu", "Save"),
    "admin.when": ("Thời điểm", "When"),
    "admin.action": ("Hành động", "Action"),
    "admin.subject": ("Đối tượng", "Subject"),
    "admin.who": ("Người thực hiện", "Who"),
    "admin.chain_ok": ("Chuỗi băm nhật ký nguyên vẹn.", "The audit hash chain is intact."),
    "admin.chain_bad": ("Chuỗi băm nhật ký bị sai lệch!", "The audit hash chain is broken!"),
    "admin.no_issues": ("Không phát hiện vấn đề toàn vẹn.", "No integrity problems found."),
    "admin.problem": ("Vấn đề", "Problem"),
    "clients.title": ("Ứng dụng kết nối (API)", "API clients"),
    "clients.name": ("Tên ứng dụng", "Application"),
    "clients.organisation": ("Đơn vị", "Organisation"),
    "clients.scopes": ("Quyền (scope)", "Scopes"),
    "clients.create": ("Đăng ký ứng dụng", "Register a client"),
    "clients.none": ("Chưa có ứng dụng nào.", "No API clients yet."),
    "clients.secret_once": (
        "Đây là mã bí mật của ứng dụng. Hãy sao chép ngay: nó chỉ hiện một lần.",
        "This is the client's secret. Copy it now: it is shown only once.",
    ),
    "clients.client_id": ("Mã ứng dụng (client_id)", "Client id (client_id)"),
    "clients.secret": ("Mã bí mật (client_secret)", "Client secret (client_secret)"),
    "clients.rotate": ("Cấp mã bí mật mới", "Rotate the secret"),
    "clients.back": ("Về danh sách ứng dụng", "Back to the API clients"),
    "clients.webhooks": ("Webhook", "Webhooks"),
    "clients.webhook_url": ("Địa chỉ nhận (URL)", "Receiver URL"),
    "clients.events": ("Sự kiện", "Events"),
    "clients.add_webhook": ("Thêm webhook", "Add a webhook"),
    "clients.webhook_secret": (
        "Khoá ký HMAC của webhook (chỉ hiện một lần):",
        "The webhook's HMAC signing key (shown once):",
    ),
    "clients.deliveries": ("Nhật ký gửi", "Delivery log"),
    "clients.status": ("Trạng thái", "Status"),
    "clients.attempts": ("Số lần gửi", "Attempts"),
    "clients.resend": ("Gửi lại", "Re-send"),
    "material.for_lms": ("Dùng trong LMS (IMS Common Cartridge)", "Use in an LMS (IMS Common Cartridge)"),
    "material.cc_this": ("gói của học liệu này", "this material's package"),
    "material.cc_lesson": ("gói của cả bài học", "the whole lesson's package"),
    "lti.platforms": ("Nền tảng LMS (LTI 1.3)", "LMS platforms (LTI 1.3)"),
    "lti.register": ("Đăng ký nền tảng", "Register a platform"),
    "lti.tool_urls": (
        "Địa chỉ của Hoclieu để khai báo trong LMS:",
        "Hoclieu's addresses to enter in the LMS:",
    ),
    "lti.pick_title": ("Chọn học liệu từ Hoclieu", "Pick materials from Hoclieu"),
    "lti.search": ("Tìm học liệu", "Search materials"),
    "lti.no_hits": ("Không tìm thấy học liệu phù hợp.", "No matching materials."),
    "lti.add": ("Thêm vào bài học", "Add to the course"),
    "lti.sending": ("Đang gửi lựa chọn về LMS:", "Sending your choice back to the LMS:"),
    "lti.send": ("Gửi về LMS", "Send to the LMS"),
    "lti.refused": ("Hoclieu không mở được học liệu này", "Hoclieu refused this launch"),
    "lti.refused_help": (
        "Lượt mở từ hệ thống học tập (LMS) không hợp lệ. Hãy mở lại hoạt động trong LMS; "
        "nếu vẫn lỗi, báo quản trị viên.",
        "The launch from your learning platform did not verify. Open the activity again; "
        "if it keeps failing, tell an admin.",
    ),
    "role.admin": ("Quản trị viên", "Administrator"),
    "role.curator": ("Người kiểm duyệt", "Curator"),
    "role.teacher": ("Giáo viên", "Teacher"),
    "role.student": ("Học sinh", "Student"),
    "error.title": ("Có lỗi xảy ra", "Something went wrong"),
    "error.csrf": (
        "Biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại.",
        "The form has expired. Reload the page and try again.",
    ),
    "error.signin_required": ("Hãy đăng nhập để tiếp tục.", "Please sign in to continue."),
    "error.forbidden": ("Bạn không có quyền xem trang này.", "You may not view this page."),
    "error.not_found": ("Không tìm thấy trang hoặc học liệu.", "Page or material not found."),
    "error.back_home": ("Về trang chủ", "Back to the home page"),
    "error.back": ("Quay lại trang trước", "Back to the previous page"),
    "error.bad_request": (
        "Yêu cầu không hợp lệ. Hãy kiểm tra lại địa chỉ hoặc nội dung đã nhập.",
        "The request is not valid. Check the address or what you entered.",
    ),
    "error.conflict": (
        "Không thực hiện được vì trạng thái hiện tại của học liệu. Hãy tải lại trang.",
        "This cannot be done in the material's current state. Reload the page.",
    ),
    "error.too_large": ("Tệp hoặc dữ liệu gửi lên quá lớn.", "The file or data sent is too large."),
    "error.unsupported": ("Định dạng gửi lên không được hỗ trợ.", "The format sent is not supported."),
    "error.invalid": (
        "Thông tin đã nhập chưa hợp lệ. Hãy sửa lại rồi thử lần nữa.",
        "Some of what you entered is not valid. Correct it and try again.",
    ),
    "error.too_many": (
        "Bạn thao tác quá nhanh. Hãy đợi một lát rồi thử lại.",
        "Too many requests. Wait a moment and try again.",
    ),
    "error.server": (
        "Máy chủ gặp sự cố. Lỗi đã được ghi lại; hãy thử lại sau.",
        "The server had a problem. It has been logged; try again later.",
    ),
    "error.unavailable": (
        "Dịch vụ tạm thời không sẵn sàng. Hãy thử lại sau ít phút.",
        "The service is temporarily unavailable. Try again in a few minutes.",
    ),
    "admin.search_users": ("Tìm tài khoản", "Find accounts"),
    "admin.search": ("Tìm", "Search"),
    "admin.no_users": ("Không có tài khoản nào khớp.", "No account matches."),
    "admin.edit_scope": ("Sửa phạm vi kiểm duyệt", "Edit review scope"),
    "admin.scope_hint": (
        "Để trống cả hai: kiểm duyệt mọi môn, mọi lớp.",
        "Leave both empty to review every subject and grade.",
    ),
    "admin.save_scope": ("Lưu phạm vi", "Save scope"),
    "admin.subject_material": ("Học liệu", "Material"),
    "admin.subject_user": ("Tài khoản", "Account"),
    "audit.auth.password_change_refused": ("Đổi mật khẩu bị từ chối", "Password change refused"),
    "audit.auth.password_changed": ("Đổi mật khẩu", "Password changed"),
    "audit.auth.portal_signed_in": ("Đăng nhập cổng", "Signed in to the portal"),
    "audit.auth.revoked_token_used": ("Dùng mã truy cập đã thu hồi", "Revoked token used"),
    "audit.auth.token_created": ("Tạo mã truy cập", "Token created"),
    "audit.auth.token_issued": ("Cấp mã truy cập", "Token issued"),
    "audit.auth.token_revoked": ("Thu hồi mã truy cập", "Token revoked"),
    "audit.client.created": ("Đăng ký ứng dụng", "API client registered"),
    "audit.client.secret_rotated": ("Đổi khoá bí mật ứng dụng", "Client secret rotated"),
    "audit.client.token_issued": ("Cấp mã cho ứng dụng", "Client token issued"),
    "audit.client.updated": ("Sửa ứng dụng", "API client changed"),
    "audit.curation.refused": ("Thao tác kiểm duyệt bị từ chối", "Review action refused"),
    "audit.fixity.completed": ("Kiểm tra toàn vẹn xong", "Fixity check completed"),
    "audit.keys.rotated": ("Đổi khoá ký", "Signing keys rotated"),
    "audit.lti.platform_registered": ("Đăng ký nền tảng LTI", "LTI platform registered"),
    "audit.material.approved": ("Phê duyệt học liệu", "Material approved"),
    "audit.material.changes_requested": ("Yêu cầu chỉnh sửa học liệu", "Changes requested"),
    "audit.material.rejected": ("Từ chối học liệu", "Material rejected"),
    "audit.material.captions_removed": ("Xoá phụ đề", "Captions removed"),
    "audit.material.captions_set": ("Cập nhật phụ đề", "Captions set"),
    "audit.material.claimed": ("Nhận kiểm duyệt", "Review claimed"),
    "audit.material.created": ("Tải lên học liệu", "Material uploaded"),
    "audit.material.edited": ("Sửa thông tin học liệu", "Material details edited"),
    "audit.material.files_changed": ("Thay tệp học liệu", "Material files changed"),
    "audit.material.restricted_download": ("Tải tệp chưa công khai", "Non-public file downloaded"),
    "audit.material.submitted": ("Gửi kiểm duyệt", "Submitted for review"),
    "audit.material.taken_down": ("Gỡ học liệu", "Material taken down"),
    "audit.material.withdrawn": ("Rút khỏi kiểm duyệt", "Withdrawn from review"),
    "audit.user.created": ("Tạo tài khoản", "Account created"),
    "audit.user.updated": ("Sửa tài khoản", "Account changed"),
    "audit.webhook.resent": ("Gửi lại webhook", "Webhook re-sent"),
    "audit.webhook.subscribed": ("Đăng ký webhook", "Webhook subscribed"),
    "error.detail": ("Chi tiết kỹ thuật (tiếng Anh)", "Technical detail"),
    "nav.stats": ("Thống kê", "Statistics"),
    "stats.title": ("Thống kê sử dụng", "Usage statistics"),
    "stats.short": ("Thống kê", "Statistics"),
    "stats.material_title": ("Thống kê: {title}", "Statistics: {title}"),
    "stats.privacy": (
        "Số liệu không chứa thông tin cá nhân: mỗi người được đếm một lần mỗi ngày; máy tìm kiếm, "
        "công cụ tự động và tải trước của trình duyệt không được tính.",
        "No personal data: each visitor counts once a day; robots, automated tools and browser "
        "prefetches are not counted.",
    ),
    "stats.week": ("Tuần (ví dụ 2026-W49)", "Week (e.g. 2026-W49)"),
    "stats.show": ("Xem", "Show"),
    "stats.prev_week": ("← Tuần trước", "← Previous week"),
    "stats.next_week": ("Tuần sau →", "Next week →"),
    "stats.week_of": ("Tuần {start} – {end}", "Week {start} – {end}"),
    "stats.kind.view": ("lượt xem", "views"),
    "stats.kind.play": ("lượt phát video/âm thanh", "video/audio plays"),
    "stats.kind.download": ("lượt tải về", "downloads"),
    "stats.kind.search": ("lượt tìm kiếm", "searches"),
    "stats.searches_top": ("Tìm kiếm nhiều nhất", "Top searches"),
    "stats.searches_zero": ("Tìm kiếm không có kết quả", "Searches that found nothing"),
    "stats.searches_zero_hint": (
        "Học sinh và giáo viên tìm những nội dung này mà kho chưa có: nơi cần bổ sung học liệu.",
        "Pupils and teachers looked for these and found nothing: where new material is needed.",
    ),
    "stats.query": ("Từ khoá", "Search text"),
    "stats.searches": ("Lượt tìm", "Searches"),
    "stats.zero": ("Không có kết quả", "No results"),
    "stats.min_searches": (
        "Chỉ hiện từ khoá được tìm ít nhất {n} lần (từ khoá chỉ gõ một lần có thể là tên người).",
        "Only texts searched at least {n} times are shown (a text typed once may be a name).",
    ),
    "stats.none": ("Chưa có số liệu.", "No data yet."),
    "stats.csv": ("Tải về CSV", "Download CSV"),
    "stats.top_materials": ("Học liệu được xem nhiều nhất", "Most-viewed materials"),
    "stats.all": ("Tất cả", "All"),
    "stats.details": ("thống kê", "statistics"),
    "stats.usage": ("Sử dụng trong {days} ngày", "Usage over {days} days"),
    "stats.chart_views": ("Lượt xem mỗi ngày, {days} ngày gần nhất", "Views per day, last {days} days"),
    "stats.chart_grades": ("Lượt xem theo lớp, {days} ngày", "Views per grade, {days} days"),
    "stats.chart_subjects": ("Lượt xem theo môn, {days} ngày", "Views per subject, {days} days"),
    "stats.chart_material_view": ("Lượt xem mỗi ngày, {days} ngày", "Views per day, {days} days"),
    "stats.chart_material_play": ("Lượt phát mỗi ngày, {days} ngày", "Plays per day, {days} days"),
    "stats.chart_material_download": ("Lượt tải về mỗi ngày, {days} ngày", "Downloads per day, {days} days"),
    "stats.table": ("Bảng số liệu", "Data table"),
    "stats.day": ("Ngày", "Day"),
    "stats.last_days": ("{days} ngày", "{days} days"),
    "stats.organisation_title": ("Thống kê: {name}", "Statistics: {name}"),
    "material.stats": ("Thống kê sử dụng của học liệu này", "Usage statistics of this material"),
    "unavailable.curation": (
        "Chức năng kiểm duyệt chưa sẵn sàng trên máy chủ này.",
        "Review is not available on this server yet.",
    ),
}


def translate(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``.

    Raises:
        KeyError: an unknown key (a template bug that tests must catch, never a blank string).
    """
    vi, en = MESSAGES[key]
    text = en if lang == "en" else vi
    count = values.pop("count", None)
    if "|" in text:
        one, _, other = text.partition("|")
        text = one if count == 1 else other
    return text.format(**values) if values else text


def request_lang(request: Request) -> Lang:
    """The language for this request: ``?lang=``, then the cookie, then Vietnamese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate == "en":
            return "en"
        if candidate == "vi":
            return "vi"
    return DEFAULT_LANG


def format_number(value: float, lang: str, *, decimals: int = 0) -> str:
    """``1234.5`` → ``1.234,5`` in Vietnamese, ``1,234.5`` in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_size(size: int, lang: str) -> str:
    """A byte count for people: ``1,5 MB`` (vi) / ``1.5 MB`` (en)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{format_number(value, lang, decimals=0 if unit == 'B' or value >= 100 else 1)} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Vietnam has one time zone and no daylight saving: UTC+7.
VN_TZ = timezone(timedelta(hours=7))


def format_date(value: datetime | None, lang: str, *, with_time: bool = False) -> str:
    """``29/11/2026`` (vi) or ``29 Nov 2026`` (en), in Vietnam time (UTC+7)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(VN_TZ)
    if lang == "vi":
        text = f"{local.day:02d}/{local.month:02d}/{local.year}"
        return f"{local.hour:02d}:{local.minute:02d} {text}" if with_time else text
    text = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    return f"{text}, {local.hour:02d}:{local.minute:02d}" if with_time else text

"""UI strings of the web app, Vietnamese first. Every key has both languages (tested)."""

from typing import Any

from hoso.core.i18n import Locale

UI: dict[str, dict[Locale, str]] = {
    "app_tagline": {"vi": "Hồ sơ khách hàng", "en": "Customer dossier"},
    "nav_customers": {"vi": "Khách hàng", "en": "Customers"},
    "nav_new_customer": {"vi": "Thêm khách hàng", "en": "New customer"},
    "nav_logout": {"vi": "Đăng xuất", "en": "Log out"},
    "lang_switch": {"vi": "English", "en": "Tiếng Việt"},
    "login_title": {"vi": "Đăng nhập", "en": "Log in"},
    "login_email": {"vi": "Email", "en": "Email"},
    "login_password": {"vi": "Mật khẩu", "en": "Password"},
    "login_submit": {"vi": "Đăng nhập", "en": "Log in"},
    "search_placeholder": {
        "vi": "Tìm theo số điện thoại, email hoặc tên (có dấu hoặc không dấu)",
        "en": "Search by phone, email or name (with or without diacritics)",
    },
    "search_submit": {"vi": "Tìm", "en": "Search"},
    "customers_title": {"vi": "Khách hàng", "en": "Customers"},
    "customers_count": {"vi": "{count} khách hàng", "en": "{count} customers"},
    "results_for": {"vi": "Kết quả cho “{q}”: {count}", "en": "Results for “{q}”: {count}"},
    "no_results": {"vi": "Không tìm thấy khách hàng nào.", "en": "No customer found."},
    "next_page": {"vi": "Trang sau →", "en": "Next page →"},
    "col_name": {"vi": "Họ và tên", "en": "Name"},
    "col_phone": {"vi": "Điện thoại", "en": "Phone"},
    "col_email": {"vi": "Email", "en": "Email"},
    "col_created": {"vi": "Ngày tạo", "en": "Created"},
    "match_phone": {"vi": "khớp số điện thoại", "en": "phone match"},
    "match_email": {"vi": "khớp email", "en": "email match"},
    "match_name_exact": {"vi": "đúng tên", "en": "exact name"},
    "match_name_exact_prefix": {"vi": "đúng dấu", "en": "exact diacritics"},
    "match_name_folded": {"vi": "tên không dấu", "en": "name without marks"},
    "match_name_prefix": {"vi": "đầu tên", "en": "name prefix"},
    "match_given_name_prefix": {"vi": "tên gọi", "en": "given name"},
    "match_name_contains": {"vi": "chứa trong tên", "en": "part of name"},
    "unnamed": {"vi": "(chưa có tên)", "en": "(no name)"},
    "section_identity": {"vi": "Nhận dạng", "en": "Identity"},
    "section_demographic": {"vi": "Nhân khẩu học", "en": "Demographics"},
    "section_preference": {"vi": "Sở thích", "en": "Preferences"},
    "section_custom": {"vi": "Trường tùy chỉnh", "en": "Custom fields"},
    "section_timeline": {"vi": "Dòng thời gian", "en": "Timeline"},
    "section_orders": {"vi": "Đơn hàng", "en": "Orders"},
    "section_notes": {"vi": "Ghi chú", "en": "Notes"},
    "section_identifiers": {"vi": "Định danh", "en": "Identifiers"},
    "field_full_name": {"vi": "Họ và tên", "en": "Full name"},
    "field_family_name": {"vi": "Họ", "en": "Family name"},
    "field_middle_name": {"vi": "Tên đệm", "en": "Middle name"},
    "field_given_name": {"vi": "Tên", "en": "Given name"},
    "field_gender": {"vi": "Giới tính", "en": "Gender"},
    "field_birth_date": {"vi": "Ngày sinh", "en": "Birth date"},
    "field_phones": {"vi": "Số điện thoại", "en": "Phone numbers"},
    "field_emails": {"vi": "Email", "en": "Emails"},
    "field_addresses": {"vi": "Địa chỉ", "en": "Addresses"},
    "field_address_line": {"vi": "Số nhà, đường", "en": "Street address"},
    "field_ward": {"vi": "Phường/Xã", "en": "Ward/Commune"},
    "field_district": {"vi": "Quận/Huyện (cũ)", "en": "District (legacy)"},
    "field_province": {"vi": "Tỉnh/Thành phố", "en": "Province/City"},
    "field_occupation": {"vi": "Nghề nghiệp", "en": "Occupation"},
    "field_education": {"vi": "Học vấn", "en": "Education"},
    "field_income_band": {"vi": "Thu nhập", "en": "Income band"},
    "field_marital_status": {"vi": "Tình trạng hôn nhân", "en": "Marital status"},
    "field_household_size": {"vi": "Số người trong hộ", "en": "Household size"},
    "field_interests": {"vi": "Sở thích", "en": "Interests"},
    "field_favourite_products": {"vi": "Sản phẩm yêu thích", "en": "Favourite products"},
    "field_favourite_brands": {"vi": "Thương hiệu yêu thích", "en": "Favourite brands"},
    "hint_phones": {
        "vi": "Mỗi số một dòng; nhập dạng nào cũng được (0903 123 456, +84…, 0168…).",
        "en": "One per line; any format works (0903 123 456, +84…, 0168…).",
    },
    "hint_emails": {"vi": "Mỗi email một dòng.", "en": "One per line."},
    "hint_list": {"vi": "Phân cách bằng dấu phẩy.", "en": "Separate with commas."},
    "hint_birth_date": {
        "vi": "ngày/tháng/năm, ví dụ 05/03/1990",
        "en": "day/month/year, e.g. 05/03/1990",
    },
    "gender_female": {"vi": "Nữ", "en": "Female"},
    "gender_male": {"vi": "Nam", "en": "Male"},
    "gender_other": {"vi": "Khác", "en": "Other"},
    "gender_unknown": {"vi": "Chưa rõ", "en": "Unknown"},
    "marital_single": {"vi": "Độc thân", "en": "Single"},
    "marital_married": {"vi": "Đã kết hôn", "en": "Married"},
    "marital_other": {"vi": "Khác", "en": "Other"},
    "edit": {"vi": "Sửa", "en": "Edit"},
    "save": {"vi": "Lưu", "en": "Save"},
    "cancel": {"vi": "Hủy", "en": "Cancel"},
    "delete": {"vi": "Xóa (chuyển vào thùng rác)", "en": "Delete (move to trash)"},
    "delete_confirm": {
        "vi": "Chuyển khách hàng này vào thùng rác?",
        "en": "Move this customer to the trash?",
    },
    "deleted_flash": {
        "vi": "Đã chuyển khách hàng vào thùng rác.",
        "en": "Customer moved to trash.",
    },
    "saved_flash": {"vi": "Đã lưu.", "en": "Saved."},
    "created_flash": {"vi": "Đã tạo khách hàng.", "en": "Customer created."},
    "new_customer_title": {"vi": "Thêm khách hàng", "en": "New customer"},
    "edit_customer_title": {"vi": "Sửa khách hàng", "en": "Edit customer"},
    "form_has_errors": {
        "vi": "Vui lòng sửa các trường được đánh dấu.",
        "en": "Please correct the marked fields.",
    },
    "note_placeholder": {"vi": "Thêm ghi chú…", "en": "Add a note…"},
    "note_add": {"vi": "Thêm ghi chú", "en": "Add note"},
    "no_orders": {"vi": "Chưa có đơn hàng.", "en": "No orders yet."},
    "no_notes": {"vi": "Chưa có ghi chú.", "en": "No notes yet."},
    "no_timeline": {"vi": "Chưa có hoạt động nào.", "en": "No activity yet."},
    "stat_orders": {"vi": "Đơn đã mua", "en": "Orders"},
    "stat_spent": {"vi": "Tổng chi tiêu", "en": "Total spent"},
    "stat_last_order": {"vi": "Mua gần nhất", "en": "Last order"},
    "order_items": {"vi": "{count} sản phẩm", "en": "{count} items"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "primary": {"vi": "chính", "en": "primary"},
    "raw_value": {"vi": "Giá trị gốc", "en": "Raw value"},
    "value_from": {"vi": "Lấy từ {source}, {at}", "en": "From {source}, {at}"},
    "not_given": {"vi": "—", "en": "—"},
    "years_old": {"vi": "{age} tuổi", "en": "{age} years old"},
    "back_to_list": {"vi": "← Danh sách khách hàng", "en": "← Customer list"},
    "type_interaction": {"vi": "Tương tác", "en": "Interaction"},
    "type_order": {"vi": "Đơn hàng", "en": "Order"},
    "type_note": {"vi": "Ghi chú", "en": "Note"},
    "error_title": {"vi": "Có lỗi", "en": "Something went wrong"},
    "error_back": {"vi": "Về trang khách hàng", "en": "Back to customers"},
    "status_completed": {"vi": "Hoàn tất", "en": "Completed"},
    "status_cancelled": {"vi": "Đã hủy", "en": "Cancelled"},
    "status_refunded": {"vi": "Hoàn tiền", "en": "Refunded"},
    "status_pending": {"vi": "Đang xử lý", "en": "Pending"},
    "channel_pos": {"vi": "Cửa hàng (POS)", "en": "Store (POS)"},
    "channel_website": {"vi": "Website", "en": "Website"},
    "channel_zalo": {"vi": "Zalo", "en": "Zalo"},
    "channel_shopee": {"vi": "Shopee", "en": "Shopee"},
    "channel_phone": {"vi": "Điện thoại", "en": "Phone"},
    "channel_email": {"vi": "Email", "en": "Email"},
    "channel_sms": {"vi": "SMS", "en": "SMS"},
    "channel_store": {"vi": "Tại cửa hàng", "en": "In store"},
    "channel_excel": {"vi": "Excel", "en": "Excel"},
    "channel_ui": {"vi": "Nhân viên nhập", "en": "Entered by staff"},
    "channel_api": {"vi": "API", "en": "API"},
    "nav_imports": {"vi": "Nhập dữ liệu", "en": "Import"},
    "nav_quality": {"vi": "Chất lượng dữ liệu", "en": "Data quality"},
    "quality_title": {"vi": "Chất lượng dữ liệu", "en": "Data quality"},
    "quality_completeness": {"vi": "Độ đầy đủ", "en": "Completeness"},
    "quality_of_customers": {
        "vi": "trung bình trên {count} khách hàng",
        "en": "on average over {count} customers",
    },
    "quality_required": {"vi": "Trường bắt buộc", "en": "Required fields"},
    "quality_trend": {
        "vi": "Độ đầy đủ theo ngày (30 ngày gần nhất)",
        "en": "Completeness by day (last 30 days)",
    },
    "quality_problems": {"vi": "Cần xử lý", "en": "To fix"},
    "quality_choose_required": {"vi": "Chọn trường bắt buộc", "en": "Choose required fields"},
    "problem_filter": {"vi": "Đang lọc: {problem}.", "en": "Filtered: {problem}."},
    "problem_filter_clear": {"vi": "Bỏ lọc", "en": "Clear"},
    "completeness_of_profile": {"vi": "Hồ sơ đầy đủ {pct}%", "en": "Profile {pct}% complete"},
    "completeness_missing": {"vi": "còn thiếu", "en": "missing"},
    "required_full_name": {"vi": "họ tên", "en": "name"},
    "required_phones": {"vi": "số điện thoại", "en": "phone"},
    "required_emails": {"vi": "email", "en": "email"},
    "required_birth_date": {"vi": "ngày sinh", "en": "birth date"},
    "required_gender": {"vi": "giới tính", "en": "gender"},
    "required_addresses": {"vi": "địa chỉ", "en": "address"},
    "problem_no_contact": {"vi": "Không có số điện thoại lẫn email", "en": "No phone and no email"},
    "problem_missing_name": {"vi": "Thiếu họ tên", "en": "No name"},
    "problem_missing_phone": {"vi": "Thiếu số điện thoại", "en": "No phone"},
    "problem_missing_birth_date": {"vi": "Thiếu ngày sinh", "en": "No birth date"},
    "problem_missing_gender": {"vi": "Chưa rõ giới tính", "en": "Gender unknown"},
    "problem_missing_address": {"vi": "Thiếu địa chỉ", "en": "No address"},
    "problem_name_organisation": {
        "vi": "Tên giống tên công ty/cửa hàng",
        "en": "Name looks like a company or shop",
    },
    "problem_name_placeholder": {
        "vi": "Tên giả (khách lẻ, test…)",
        "en": "Placeholder name (walk-in, test…)",
    },
    "problem_name_has_digits": {"vi": "Tên có chữ số", "en": "Name contains digits"},
    "problem_birth_date_ambiguous": {
        "vi": "Ngày sinh có thể nhầm ngày/tháng",
        "en": "Birth date may have day and month swapped",
    },
    "problem_birth_date_two_digit_year": {
        "vi": "Năm sinh chỉ có 2 chữ số",
        "en": "Birth year given with two digits",
    },
    "problem_address_ambiguous": {
        "vi": "Địa chỉ cũ chưa rõ phường mới (phường bị chia)",
        "en": "Old address whose new ward is unclear (split ward)",
    },
    "problem_address_unknown": {
        "vi": "Địa chỉ không nhận ra tỉnh/phường",
        "en": "Address with no recognisable province or ward",
    },
    "address_was": {"vi": "trước 2025", "en": "before 2025"},
    "address_status_ambiguous": {"vi": "chưa rõ phường mới", "en": "new ward unclear"},
    "address_status_unknown": {"vi": "chưa nhận ra", "en": "not recognised"},
    "problem_phone_shared": {
        "vi": "Số điện thoại dùng chung với khách khác",
        "en": "Phone shared with another customer",
    },
    "problem_phone_non_personal": {
        "vi": "Số tổng đài (1800/1900)",
        "en": "Service number (1800/1900)",
    },
    "problem_phone_foreign": {"vi": "Số nước ngoài", "en": "Foreign number"},
    "problem_phone_legacy_converted": {
        "vi": "Số 11 số cũ đã đổi sang 10 số",
        "en": "Old 11-digit number converted",
    },
    "problem_phone_ambiguous_landline": {
        "vi": "Có thể là số bàn cũ trước 2017",
        "en": "May be a pre-2017 landline",
    },
    "problem_email_role_account": {
        "vi": "Email chung (info@, sales@…)",
        "en": "Shared mailbox (info@, sales@…)",
    },
    "problem_email_disposable": {"vi": "Email dùng một lần", "en": "Disposable email"},
    "imports_title": {"vi": "Nhập khách hàng", "en": "Import customers"},
    "import_upload_title": {
        "vi": "Tải lên tệp Excel hoặc CSV",
        "en": "Upload an Excel or CSV file",
    },
    "import_upload_hint": {
        "vi": "Tệp .xlsx, .xls hoặc .csv (KiotViet, Sapo, Haravan, Shopee, Google Sheets…). "
        "Bạn sẽ xem trước từng dòng trước khi nhập; nhập lại cùng tệp không tạo trùng.",
        "en": "An .xlsx, .xls or .csv file (KiotViet, Sapo, Haravan, Shopee, Google Sheets…). "
        "You check every row before anything is written; re-importing never duplicates.",
    },
    "import_file": {"vi": "Tệp", "en": "File"},
    "import_check": {"vi": "Kiểm tra tệp", "en": "Check the file"},
    "import_history": {"vi": "Các lần nhập", "en": "Past imports"},
    "import_none": {"vi": "Chưa nhập lần nào.", "en": "No imports yet."},
    "import_status": {"vi": "Trạng thái", "en": "Status"},
    "import_status_pending": {"vi": "Đang chờ", "en": "Queued"},
    "import_status_running": {"vi": "Đang nhập", "en": "Running"},
    "import_status_committed": {"vi": "Hoàn tất", "en": "Done"},
    "import_status_failed": {"vi": "Không nhập", "en": "Not imported"},
    "import_status_undone": {"vi": "Đã hoàn tác", "en": "Undone"},
    "import_created": {"vi": "Tạo mới", "en": "Created"},
    "import_updated": {"vi": "Cập nhật", "en": "Updated"},
    "import_unchanged": {"vi": "Không đổi", "en": "Unchanged"},
    "import_rejected": {"vi": "Bị từ chối", "en": "Rejected"},
    "import_preview_title": {"vi": "Xem trước", "en": "Preview"},
    "import_back": {"vi": "← Nhập dữ liệu", "en": "← Imports"},
    "import_detected": {
        "vi": "Trang tính: {sheet} · dòng tiêu đề: {row} · mẫu: {preset}",
        "en": "Sheet: {sheet} · header row: {row} · preset: {preset}",
    },
    "import_will_create": {"vi": "sẽ tạo mới", "en": "will be created"},
    "import_will_update": {"vi": "sẽ cập nhật", "en": "will be updated"},
    "import_will_keep": {"vi": "không đổi", "en": "unchanged"},
    "import_will_reject": {"vi": "bị từ chối", "en": "rejected"},
    "import_mapping": {"vi": "Ghép cột", "en": "Column mapping"},
    "import_column": {"vi": "Cột trong tệp", "en": "Column in the file"},
    "import_target": {"vi": "Trường trong hoso", "en": "Field in hoso"},
    "import_examples": {"vi": "Ví dụ", "en": "Examples"},
    "import_preset": {"vi": "Mẫu ghép cột", "en": "Column preset"},
    "import_preset_auto": {"vi": "Tự nhận diện", "en": "Detect automatically"},
    "import_save_as": {
        "vi": "Lưu cách ghép cột này thành mẫu (không bắt buộc)",
        "en": "Save this mapping as a preset (optional)",
    },
    "import_save_as_hint": {
        "vi": "ví dụ: File thành viên chi nhánh 2",
        "en": "e.g. Branch 2 member file",
    },
    "import_rejected_rows": {"vi": "Dòng bị từ chối", "en": "Rejected rows"},
    "import_row": {"vi": "Dòng {row}", "en": "Row {row}"},
    "import_more_rejected": {"vi": "… và {count} dòng nữa.", "en": "… and {count} more."},
    "import_valid_rows_only": {
        "vi": "Vẫn nhập các dòng hợp lệ (bỏ qua các dòng bị từ chối)",
        "en": "Import the valid rows anyway (skip the rejected ones)",
    },
    "import_recheck": {
        "vi": "Kiểm tra lại với cách ghép này",
        "en": "Check again with this mapping",
    },
    "import_run": {"vi": "Nhập", "en": "Import"},
    "import_all_or_nothing": {
        "vi": "Nếu còn dòng bị từ chối và bạn không chọn ô trên, sẽ không dòng nào được nhập.",
        "en": "If rows are rejected and the box above is not ticked, nothing is imported.",
    },
    "import_progress": {"vi": "Đã xử lý {done} dòng", "en": "{done} rows processed"},
    "import_failed_help": {
        "vi": "Không dòng nào được nhập. Hãy sửa các dòng bị từ chối hoặc chọn nhập các dòng "
        "hợp lệ rồi thử lại.",
        "en": "Nothing was imported. Fix the rejected rows, or choose to import the valid "
        "rows, and try again.",
    },
    "import_download_rejected": {
        "vi": "Tải các dòng bị từ chối (Excel)",
        "en": "Download rejected rows (Excel)",
    },
    "import_undo": {"vi": "Hoàn tác lần nhập này", "en": "Undo this import"},
    "import_undo_confirm": {
        "vi": "Gỡ các khách hàng mà lần nhập này đã tạo và khôi phục các trường nó đã sửa?",
        "en": "Remove the customers this import created and restore the fields it changed?",
    },
    "import_undone_flash": {"vi": "Đã hoàn tác lần nhập.", "en": "The import was undone."},
    "target_full_name": {"vi": "Họ và tên", "en": "Full name"},
    "target_family_name": {"vi": "Họ", "en": "Family name"},
    "target_given_name": {"vi": "Tên", "en": "Given name"},
    "target_gender": {"vi": "Giới tính", "en": "Gender"},
    "target_birth_date": {"vi": "Ngày sinh", "en": "Birth date"},
    "target_phone": {"vi": "Số điện thoại", "en": "Phone"},
    "target_email": {"vi": "Email", "en": "Email"},
    "target_address_line": {"vi": "Địa chỉ", "en": "Address"},
    "target_ward": {"vi": "Phường/Xã", "en": "Ward"},
    "target_district": {"vi": "Quận/Huyện (cũ)", "en": "District (legacy)"},
    "target_province": {"vi": "Tỉnh/Thành phố", "en": "Province/City"},
    "target_external_id": {
        "vi": "Mã khách hàng (hệ thống khác)",
        "en": "Customer code (other system)",
    },
    "target_note": {"vi": "Ghi chú", "en": "Note"},
    "target_occupation": {"vi": "Nghề nghiệp", "en": "Occupation"},
    "target_total_spent": {"vi": "Tổng chi tiêu", "en": "Total spent"},
    "target_points": {"vi": "Điểm tích lũy", "en": "Loyalty points"},
    "target_created_at": {"vi": "Ngày tạo", "en": "Created at"},
    "target_company": {"vi": "Công ty", "en": "Company"},
    "target_tax_code": {"vi": "Mã số thuế", "en": "Tax code"},
    "target_zalo_id": {"vi": "Zalo ID", "en": "Zalo id"},
    "target_loyalty_card": {"vi": "Thẻ thành viên", "en": "Loyalty card"},
    "target_loyalty_tier": {"vi": "Hạng thành viên", "en": "Loyalty tier"},
    "target_ignore": {"vi": "— Bỏ qua —", "en": "— Ignore —"},
    "kind_call": {"vi": "Cuộc gọi", "en": "Call"},
    "kind_chat": {"vi": "Trò chuyện", "en": "Chat"},
    "kind_visit": {"vi": "Ghé cửa hàng", "en": "Store visit"},
    "kind_page_view": {"vi": "Xem trang", "en": "Page view"},
    "kind_email_open": {"vi": "Mở email", "en": "Email opened"},
    "kind_email_click": {"vi": "Bấm link email", "en": "Email link clicked"},
    "kind_complaint": {"vi": "Khiếu nại", "en": "Complaint"},
    "kind_feedback": {"vi": "Góp ý", "en": "Feedback"},
    "kind_review": {"vi": "Đánh giá", "en": "Review"},
    "kind_support_request": {"vi": "Yêu cầu hỗ trợ", "en": "Support request"},
    "kind_zalo_message": {"vi": "Tin nhắn Zalo", "en": "Zalo message"},
    "kind_survey": {"vi": "Khảo sát", "en": "Survey"},
    "kind_meeting": {"vi": "Cuộc hẹn", "en": "Meeting"},
    "identifier_external_id": {"vi": "Mã ngoài", "en": "External id"},
    "identifier_zalo_id": {"vi": "Zalo ID", "en": "Zalo id"},
    "identifier_loyalty_card": {"vi": "Thẻ thành viên", "en": "Loyalty card"},
    "identifier_anonymous_id": {"vi": "Mã ẩn danh", "en": "Anonymous id"},
    "identifier_user_id": {"vi": "Mã người dùng", "en": "User id"},
    # --- identity resolution (issue #4) ---
    "identity_train": {"vi": "Học lại và rà soát tất cả", "en": "Retrain and re-check everyone"},
    "identity_train_help": {
        "vi": "hoso học cách so khớp từ chính dữ liệu khách hàng của bạn, rồi rà lại toàn bộ.",
        "en": "hoso learns how to match from your own customers, then checks them all again.",
    },
    "identity_training_queued": {
        "vi": "Đã xếp lịch học lại; kết quả sẽ có sau ít phút.",
        "en": "Training is queued; results follow in a few minutes.",
    },
    "nav_review": {"vi": "Trùng lặp", "en": "Duplicates"},
    "identity_review_title": {
        "vi": "Khách hàng có thể trùng",
        "en": "Possible duplicate customers",
    },
    "identity_review_intro": {
        "vi": (
            "Những cặp hồ sơ giống nhau nhưng chưa đủ chắc để tự gộp. Xem từng cặp rồi gộp "
            "hoặc bỏ qua; hồ sơ đã gộp luôn tách lại được."
        ),
        "en": (
            "Pairs of customers that look alike but not surely enough to merge on their own. "
            "Review each pair and merge or reject it; any merge can be undone."
        ),
    },
    "identity_merge_log": {"vi": "Lịch sử gộp", "en": "Merge log"},
    "identity_settings_title": {"vi": "Cài đặt gộp khách hàng", "en": "Duplicate settings"},
    "identity_bulk_confirm": {
        "vi": "Gộp tất cả các cặp từ mức xác suất này trở lên?",
        "en": "Merge every pair at or above this probability?",
    },
    "identity_bulk_label": {
        "vi": "Gộp hàng loạt các cặp có xác suất từ",
        "en": "Merge at once every pair with a probability of at least",
    },
    "identity_bulk_accept": {"vi": "Gộp hàng loạt", "en": "Merge all"},
    "identity_review_empty": {
        "vi": "Không còn cặp nào cần xem.",
        "en": "No pair is waiting for review.",
    },
    "identity_compare_title": {"vi": "So sánh hai khách hàng", "en": "Compare two customers"},
    "identity_back_to_review": {"vi": "← Danh sách cần xem", "en": "← Review queue"},
    "identity_pending_n": {"vi": "còn {count} cặp", "en": "{count} pairs left"},
    "identity_keep_this": {"vi": "Giữ hồ sơ này", "en": "Keep this profile"},
    "identity_why": {"vi": "Vì sao giống nhau", "en": "Why they look alike"},
    "identity_weight_help": {
        "vi": (
            "Số dương: bằng chứng là cùng một người; số âm: bằng chứng là hai người khác nhau"
            " (log₂ tỉ số khả năng)."
        ),
        "en": (
            "Positive: evidence of one person; negative: evidence of two people (log₂ "
            "likelihood ratio)."
        ),
    },
    "identity_merge_button": {"vi": "Gộp", "en": "Merge"},
    "identity_reject_button": {"vi": "Không phải một người", "en": "Different people"},
    "identity_keys_help": {
        "vi": "Phím tắt: M gộp, R không phải một người, 1/2 chọn hồ sơ giữ lại.",
        "en": "Keys: M merge, R different people, 1/2 choose the profile to keep.",
    },
    "identity_when": {"vi": "Thời điểm", "en": "When"},
    "identity_kept": {"vi": "Hồ sơ giữ lại", "en": "Kept"},
    "identity_merged_in": {"vi": "Hồ sơ được gộp vào", "en": "Merged in"},
    "identity_decided_by": {"vi": "Quyết định bởi", "en": "Decided by"},
    "identity_probability": {"vi": "Xác suất", "en": "Probability"},
    "identity_undo_confirm": {
        "vi": "Tách hai hồ sơ này ra như trước khi gộp?",
        "en": "Split these customers back as they were before the merge?",
    },
    "identity_undo": {"vi": "Tách ra", "en": "Undo merge"},
    "identity_undone": {"vi": "Đã tách", "en": "Undone"},
    "identity_no_merges": {"vi": "Chưa có lần gộp nào.", "en": "No merge yet."},
    "identity_merge_with": {"vi": "Gộp với khách hàng khác", "en": "Merge with another customer"},
    "identity_compare": {"vi": "So sánh", "en": "Compare"},
    "identity_thresholds": {"vi": "Ngưỡng gộp", "en": "Thresholds"},
    "identity_thresholds_help": {
        "vi": (
            "Từ ngưỡng gộp tự động trở lên: hoso tự gộp. Giữa hai ngưỡng: đưa vào danh sách "
            "cần xem. Dưới ngưỡng xem xét: bỏ qua."
        ),
        "en": (
            "At or above the automatic threshold hoso merges by itself; between the two, the "
            "pair is queued for review; below, it is ignored."
        ),
    },
    "identity_auto_merge_threshold": {"vi": "Ngưỡng tự động gộp", "en": "Merge automatically from"},
    "identity_review_threshold": {"vi": "Ngưỡng cần xem xét", "en": "Queue for review from"},
    "identity_auto_merge_on": {"vi": "Cho phép tự động gộp", "en": "Allow automatic merges"},
    "identity_model": {"vi": "Mô hình so khớp", "en": "Matching model"},
    "identity_model_trained": {
        "vi": "Đã học từ {count} hồ sơ lúc {at}.",
        "en": "Trained on {count} records at {at}.",
    },
    "identity_model_default": {
        "vi": "Đang dùng mô hình mặc định (chưa đủ dữ liệu để học).",
        "en": "Using the default model (not enough data to train yet).",
    },
    "identity_shared_values": {
        "vi": "Số điện thoại, email dùng chung",
        "en": "Shared phones and emails",
    },
    "identity_shared_help": {
        "vi": (
            "Những giá trị này thuộc nhiều người khác nhau (số điện thoại gia đình, hộp thư "
            "chung) nên không bao giờ tự gộp chỉ vì chúng."
        ),
        "en": (
            "These values belong to several different people (a family phone, a shared "
            "mailbox), so they never merge anyone on their own."
        ),
    },
    "identity_no_shared": {
        "vi": "Chưa phát hiện giá trị dùng chung.",
        "en": "No shared value detected.",
    },
    "identity_created": {"vi": "Ngày tạo hồ sơ", "en": "Profile created"},
    "identity_pair_gone": {"vi": "Cặp này đã được xử lý.", "en": "This pair was already decided."},
    "identity_merged_flash": {"vi": "Đã gộp hai hồ sơ.", "en": "The customers were merged."},
    "identity_rejected_flash": {
        "vi": "Đã ghi nhận: đây là hai người khác nhau.",
        "en": "Noted: these are different people.",
    },
    "identity_bulk_flash": {"vi": "Đã gộp {count} cặp.", "en": "{count} pairs merged."},
    "identity_unmerged_flash": {
        "vi": "Đã tách hai hồ sơ như trước khi gộp.",
        "en": "The merge was undone.",
    },
    "identity_merged_redirect": {
        "vi": "Hồ sơ này đã được gộp vào khách hàng dưới đây.",
        "en": "That customer was merged into this one.",
    },
    "identity_section": {"vi": "Trùng lặp và gộp", "en": "Duplicates and merges"},
    "identity_possible_duplicates": {"vi": "Có thể trùng với", "en": "May be the same as"},
    "identity_history": {"vi": "Lịch sử gộp", "en": "Merge history"},
    "identity_merged_from": {
        "vi": "Đã gộp {name} vào hồ sơ này",
        "en": "{name} was merged into this profile",
    },
    "identity_merged_into_other": {
        "vi": "Hồ sơ này từng được gộp vào {name}",
        "en": "This profile was merged into {name}",
    },
    "identity_review_pair": {"vi": "xem", "en": "review"},
    "lineage_title": {"vi": "Nguồn của từng giá trị", "en": "Where each value came from"},
    "lineage_help": {
        "vi": (
            "Mỗi giá trị cho biết nguồn nào đã cung cấp và quy tắc nào chọn ra giá trị đang dùng."
        ),
        "en": "Each value shows which sources supplied it and which rule chose the one in use.",
    },
    "lineage_chosen": {"vi": "đang dùng", "en": "in use"},
    "lineage_none": {"vi": "Chưa có dữ liệu nguồn.", "en": "No source data yet."},
    "rule_manual": {"vi": "nhân viên sửa tay", "en": "staff edit"},
    "rule_trusted_source": {"vi": "nguồn tin cậy nhất", "en": "most trusted source"},
    "rule_most_complete": {"vi": "đầy đủ nhất", "en": "most complete"},
    "rule_most_frequent": {"vi": "nhiều nguồn nhất", "en": "most sources agree"},
    "rule_most_recent": {"vi": "mới nhất", "en": "most recent"},
    "rule_agreed": {"vi": "các nguồn thống nhất", "en": "all sources agree"},
    "merge_method_rule": {"vi": "Quy tắc", "en": "Rule"},
    "merge_method_model": {"vi": "Mô hình", "en": "Model"},
    "merge_method_manual": {"vi": "Nhân viên", "en": "Staff"},
    "merge_method_event": {"vi": "Sự kiện", "en": "Event"},
    "shared_reason_distinct_people": {
        "vi": "nhiều người khác nhau",
        "en": "several different people",
    },
    "shared_reason_too_many": {"vi": "quá nhiều hồ sơ", "en": "too many customers"},
    "shared_reason_role_mailbox": {"vi": "hộp thư chung", "en": "shared mailbox"},
    "shared_reason_blocked": {"vi": "bị chặn", "en": "blocked"},
    "identifier_phone": {"vi": "Số điện thoại", "en": "Phone"},
    "identifier_email": {"vi": "Email", "en": "Email"},
    # --- end of identity resolution ---
    # --- event collection (issue #5) ---
    # --- end of event collection ---
    # --- bulk import (issue #3) ---
    # --- end of bulk import ---
}


def t(key: str, locale: Locale, **params: Any) -> str:
    """Translate a UI key; unknown keys show themselves so they are noticed, not hidden."""
    entry = UI.get(key)
    if entry is None:
        return key
    text = entry[locale]
    return text.format(**params) if params else text

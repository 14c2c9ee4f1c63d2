"""Vietnamese and English text: error messages by stable code, and UI strings by key.

A plain catalogue in code, rather than gettext files: two languages, type-checked, and a test
asserts every key has both. Formatting uses ``str.format`` with the error's details.
"""

from typing import Any, Literal

Locale = Literal["vi", "en"]
LOCALES: tuple[Locale, ...] = ("vi", "en")
DEFAULT_LOCALE: Locale = "vi"

# Error messages, keyed by HosoError.code or FieldError.code.
ERRORS: dict[str, dict[Locale, str]] = {
    "invalid": {"vi": "Yêu cầu không hợp lệ.", "en": "The request is invalid."},
    "not_found": {"vi": "Không tìm thấy.", "en": "Not found."},
    "conflict": {"vi": "Xung đột dữ liệu.", "en": "The request conflicts with existing data."},
    "forbidden": {"vi": "Bạn không có quyền làm việc này.", "en": "You may not do this."},
    "unauthenticated": {"vi": "Cần đăng nhập.", "en": "Authentication is required."},
    "unavailable": {
        "vi": "Dịch vụ tạm thời không sẵn sàng, vui lòng thử lại.",
        "en": "The service is temporarily unavailable; please retry.",
    },
    "permission_denied": {
        "vi": "Bạn không có quyền thực hiện thao tác này ({permission}).",
        "en": "You do not have permission to do this ({permission}).",
    },
    "validation_failed": {
        "vi": "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
        "en": "Some fields are invalid; please check the marked fields.",
    },
    "malformed_json": {
        "vi": "Nội dung gửi lên không phải JSON hợp lệ.",
        "en": "The request body is not valid JSON.",
    },
    "route_not_found": {"vi": "Không có địa chỉ này.", "en": "There is no such address."},
    "method_not_allowed": {
        "vi": "Phương thức không được hỗ trợ ở địa chỉ này.",
        "en": "This method is not allowed here.",
    },
    "internal_error": {
        "vi": "Đã có lỗi hệ thống; dữ liệu của bạn không bị thay đổi.",
        "en": "An internal error occurred; your data was not changed.",
    },
    "embedded_database_failed": {
        "vi": "Không khởi động được cơ sở dữ liệu nhúng trong {data_dir}: {reason}",
        "en": "The embedded database in {data_dir} could not start: {reason}",
    },
    "profile_not_found": {
        "vi": "Không tìm thấy khách hàng {profile_id}.",
        "en": "Customer {profile_id} does not exist.",
    },
    "identifier_not_found": {
        "vi": "Không tìm thấy định danh {identifier_id} của khách hàng này.",
        "en": "Identifier {identifier_id} is not on this customer.",
    },
    "attribute_not_found": {"vi": "Không có trường {key}.", "en": "There is no field {key}."},
    "attribute_key_taken": {
        "vi": "Trường tùy chỉnh {key} đã tồn tại.",
        "en": "The custom field {key} already exists.",
    },
    "order_external_id_taken": {
        "vi": "Đơn hàng {external_id} ({channel}) đã tồn tại.",
        "en": "Order {external_id} ({channel}) already exists.",
    },
    "stale_profile": {
        "vi": "Hồ sơ đã được người khác sửa (phiên bản {version}); hãy tải lại rồi sửa tiếp.",
        "en": "Someone else changed this profile (version {version}); reload and edit again.",
    },
    "workspace_not_found": {
        "vi": "Không tìm thấy không gian làm việc.",
        "en": "Workspace not found.",
    },
    "user_not_found": {"vi": "Không tìm thấy người dùng.", "en": "User not found."},
    "user_email_taken": {
        "vi": "Email {email} đã được dùng cho một tài khoản khác.",
        "en": "The email {email} is already used by another account.",
    },
    "invalid_credentials": {
        "vi": "Email hoặc mật khẩu không đúng.",
        "en": "Wrong email or password.",
    },
    "invalid_api_key": {
        "vi": "Khóa API không hợp lệ hoặc đã bị thu hồi.",
        "en": "The API key is invalid or revoked.",
    },
    "unknown_scope": {"vi": "Phạm vi không tồn tại: {scopes}.", "en": "Unknown scopes: {scopes}."},
    "csrf_failed": {
        "vi": "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ; vui lòng tải lại trang.",
        "en": "Your session expired or the form is invalid; please reload the page.",
    },
    "import_not_found": {
        "vi": "Không tìm thấy lần nhập {batch_id}.",
        "en": "Import {batch_id} does not exist.",
    },
    "import_file_unreadable": {"vi": "Không đọc được tệp này.", "en": "This file cannot be read."},
    "import_mapping_invalid": {
        "vi": "Ánh xạ cột không hợp lệ: cột {column}.",
        "en": "Invalid column mapping: column {column}.",
    },
    "import_has_rejected_rows": {
        "vi": "Có {rejected} dòng bị từ chối nên không nhập dòng nào.",
        "en": "{rejected} rows were rejected, so nothing was imported.",
    },
    "import_not_committable": {
        "vi": "Lần nhập này không thể thực hiện.",
        "en": "This import cannot be committed.",
    },
    "import_not_undoable": {
        "vi": "Không thể hoàn tác lần nhập ở trạng thái {status}.",
        "en": "An import in state {status} cannot be undone.",
    },
    "empty_file": {"vi": "Tệp rỗng.", "en": "The file is empty."},
    "not_a_spreadsheet": {
        "vi": "Đây không phải tệp Excel hay CSV.",
        "en": "This is not an Excel or CSV file.",
    },
    "truncated_file": {
        "vi": "Tệp bị hỏng hoặc tải lên chưa hết; hãy lưu và tải lại.",
        "en": "The file is damaged or incomplete; save it again and retry.",
    },
    "password_protected": {
        "vi": "Tệp có mật khẩu; hãy bỏ mật khẩu rồi tải lại.",
        "en": "The file is password-protected; remove the password and retry.",
    },
    "encoding_unknown": {
        "vi": "Không nhận ra bảng mã của tệp CSV; hãy lưu lại dạng UTF-8.",
        "en": "Unknown CSV encoding; save the file as UTF-8.",
    },
    "sheet_not_found": {"vi": "Không có trang tính {sheet}.", "en": "There is no sheet {sheet}."},
    "no_header_row": {
        "vi": "Không tìm thấy dòng tiêu đề cột trong 30 dòng đầu.",
        "en": "No header row found in the first 30 rows.",
    },
    "no_data_rows": {"vi": "Tệp không có dòng dữ liệu.", "en": "The file has no data rows."},
    "file_too_large": {
        "vi": "Tệp lớn hơn {limit_mb} MB; hãy dùng lệnh `hoso import` cho tệp lớn.",
        "en": "The file is larger than {limit_mb} MB; use `hoso import` for large files.",
    },
    # Field errors
    "ambiguous_match": {
        "vi": "Dòng này khớp với nhiều khách hàng khác nhau; cần xử lý thủ công.",
        "en": "This row matches several different customers; resolve it by hand.",
    },
    "invalid_row": {"vi": "Dòng không hợp lệ.", "en": "Invalid row."},
    "invalid_number": {"vi": "Số không hợp lệ: {value}.", "en": "Invalid number: {value}."},
    "invalid_gender": {
        "vi": "Giới tính không rõ: {value} (dùng Nam/Nữ).",
        "en": "Unknown gender: {value} (use Male/Female).",
    },
    "required": {"vi": "Trường này là bắt buộc.", "en": "This field is required."},
    "invalid_phone": {
        "vi": "Số điện thoại không hợp lệ: {value}.",
        "en": "Invalid phone number: {value}.",
    },
    "placeholder_phone": {
        "vi": "Số điện thoại giả/để trống: {value}.",
        "en": "Placeholder phone number: {value}.",
    },
    "invalid_email": {"vi": "Email không hợp lệ.", "en": "Invalid email address."},
    "placeholder_email": {
        "vi": "Email giả/để trống: {value}.",
        "en": "Placeholder email address: {value}.",
    },
    "invalid_date": {
        "vi": "Ngày không hợp lệ: {value} (dùng dạng ngày/tháng/năm).",
        "en": "Invalid date: {value} (use day/month/year).",
    },
    "birth_date_in_future": {
        "vi": "Ngày sinh {value} nằm trong tương lai.",
        "en": "Birth date {value} is in the future.",
    },
    "birth_date_too_old": {
        "vi": "Ngày sinh {value} quá xa (hơn 120 năm).",
        "en": "Birth date {value} is more than 120 years ago.",
    },
    "out_of_range": {
        "vi": "Giá trị phải từ {min} đến {max}.",
        "en": "The value must be between {min} and {max}.",
    },
    "profile_needs_name_or_contact": {
        "vi": "Cần ít nhất họ tên, số điện thoại hoặc email.",
        "en": "Give at least a name, a phone number or an email.",
    },
    "unknown_attribute": {
        "vi": "Trường tùy chỉnh {key} chưa được định nghĩa.",
        "en": "The custom field {key} is not defined.",
    },
    "invalid_attribute_value": {
        "vi": "Giá trị không đúng kiểu {type}.",
        "en": "The value is not a valid {type}.",
    },
    "enum_needs_options": {
        "vi": "Trường dạng danh sách cần ít nhất một lựa chọn.",
        "en": "A list field needs at least one option.",
    },
    "discount_exceeds_subtotal": {
        "vi": "Chiết khấu lớn hơn tổng tiền hàng.",
        "en": "The discount exceeds the subtotal.",
    },
    "weak_password": {
        "vi": "Mật khẩu cần ít nhất {min} ký tự.",
        "en": "The password needs at least {min} characters.",
    },
    "wrong_type": {"vi": "Sai kiểu dữ liệu.", "en": "Wrong type."},
    "too_long": {"vi": "Quá dài.", "en": "Too long."},
    "too_short": {"vi": "Quá ngắn.", "en": "Too short."},
    "not_allowed": {"vi": "Giá trị không được phép.", "en": "This value is not allowed."},
    "unexpected_field": {"vi": "Trường không được hỗ trợ.", "en": "Unexpected field."},
    # --- identity resolution (issue #4) ---
    "merge_same_profile": {
        "vi": "Không thể gộp một khách hàng với chính họ.",
        "en": "A customer cannot be merged with itself.",
    },
    "profile_merged_away": {
        "vi": "Khách hàng {profile_id} đã được gộp vào khách hàng {merged_into}.",
        "en": "Customer {profile_id} was merged into customer {merged_into}.",
    },
    "merge_not_found": {
        "vi": "Không tìm thấy lần gộp {merge_id}.",
        "en": "Merge {merge_id} does not exist.",
    },
    "merge_already_undone": {
        "vi": "Lần gộp {merge_id} đã được hoàn tác rồi.",
        "en": "Merge {merge_id} was already undone.",
    },
    "pair_not_found": {
        "vi": "Không tìm thấy cặp khách hàng cần xem xét {pair_id}.",
        "en": "Candidate pair {pair_id} does not exist.",
    },
    "pair_already_decided": {
        "vi": "Cặp khách hàng này đã được xử lý ({status}).",
        "en": "This pair was already decided ({status}).",
    },
    # hoso dedupe (hoso.engine.matching.dedupe.ERROR_CODES)
    "dedupe_empty_file": {
        "vi": "Tệp {file} không có dòng dữ liệu nào để tìm trùng.",
        "en": "The file {file} has no data rows to deduplicate.",
    },
    "dedupe_no_identifiers": {
        "vi": "Tệp {file} không có cột số điện thoại, email hay mã khách hàng dùng được, "
        "nên không thể gộp ai (tên thôi thì không bao giờ đủ). Cột đã nhận: {columns}. "
        "Dùng --map COT=phone để chỉ cột.",
        "en": "The file {file} has no usable phone, e-mail or customer-code column, so "
        "nobody can be merged (a name alone never is). Columns read: {columns}. Use "
        "--map COLUMN=phone to name one.",
    },
    "dedupe_unknown_column": {
        "vi": "Không có cột {column} trong tệp. Các cột: {available}.",
        "en": "There is no column {column} in the file. Columns: {available}.",
    },
    "dedupe_unknown_field": {
        "vi": "Trường {field} (cho cột {column}) không tồn tại; dùng phone, email, full_name, "
        "birth_date, address_line, external_id, zalo_id, loyalty_card, ignore...",
        "en": "Unknown field {field} (for column {column}); use phone, email, full_name, "
        "birth_date, address_line, external_id, zalo_id, loyalty_card, ignore...",
    },
    "dedupe_duplicate_id": {
        "vi": "Mã {value} lặp lại ở dòng {row}: cột mã phải khác nhau trên mỗi dòng.",
        "en": "The id {value} repeats on row {row}: the id column must be unique.",
    },
    "dedupe_missing_id": {
        "vi": "Dòng {row} không có mã trong cột mã.",
        "en": "Row {row} has no value in the id column.",
    },
    "dedupe_bad_model": {
        "vi": "Tệp {file} không phải mô hình so khớp của hoso.",
        "en": "The file {file} is not a hoso matching model.",
    },
    # resolve_batch warnings (BatchWarning.code, prefixed with "match_")
    "match_empty_input": {"vi": "Không có bản ghi nào.", "en": "There are no records."},
    "match_no_usable_identifiers": {
        "vi": "Không bản ghi nào có số điện thoại, email hay mã: không gộp ai.",
        "en": "No record has a phone, e-mail or id: nobody was merged.",
    },
    "match_unusable_records": {
        "vi": "{count} bản ghi không có tên lẫn định danh nào, được giữ riêng.",
        "en": "{count} records have neither a name nor an identifier and were kept apart.",
    },
    "match_shared_identifiers": {
        "vi": "{count} số điện thoại/email/mã/địa chỉ nhà dùng chung cho nhiều người (điện "
        "thoại gia đình, số hoặc địa chỉ của cửa hàng…): chúng không bao giờ tự gộp hồ sơ.",
        "en": "{count} phones/e-mails/ids/house addresses are shared by several people (a "
        "family phone, the shop's own number or address...): they never merge anyone on "
        "their own.",
    },
    "match_giant_cluster_refused": {
        "vi": "Đã từ chối {refused_merges} lần gộp vì nhóm sẽ vượt {max_cluster_size} bản "
        "ghi (có thể một giá trị rác đã lọt qua); các cặp này cần xem lại.",
        "en": "Refused {refused_merges} merges that would grow a cluster past "
        "{max_cluster_size} records (a junk value may have slipped through); they are "
        "queued for review.",
    },
    # --- end of identity resolution ---
    # --- event collection (issue #5) ---
    "invalid_write_key": {
        "vi": "Khóa ghi (write key) không hợp lệ hoặc đã được đổi.",
        "en": "The write key is invalid or was rotated.",
    },
    "payload_too_large": {
        "vi": "Yêu cầu lớn hơn giới hạn {limit_kb} KB.",
        "en": "The request is larger than the {limit_kb} KB limit.",
    },
    "invalid_batch": {
        "vi": 'Thiếu danh sách sự kiện "batch".',
        "en": 'The "batch" list of events is missing.',
    },
    "batch_too_many_events": {
        "vi": "Một lô có nhiều hơn {limit} sự kiện.",
        "en": "A batch holds more than {limit} events.",
    },
    "unsupported_encoding": {
        "vi": "Không hỗ trợ kiểu nén {encoding} (hãy dùng gzip).",
        "en": "Content encoding {encoding} is not supported (use gzip).",
    },
    "events_overloaded": {
        "vi": "Máy chủ đang quá tải; hãy gửi lại sau {retry_after} giây.",
        "en": "The server is overloaded; retry in {retry_after} seconds.",
    },
    "source_not_found": {"vi": "Không tìm thấy nguồn {source}.", "en": "No source {source}."},
    "source_name_taken": {
        "vi": "Đã có nguồn tên {name}.",
        "en": "A source named {name} already exists.",
    },
    "dead_letter_not_found": {
        "vi": "Không tìm thấy sự kiện lỗi {dead_letter_id}.",
        "en": "Dead letter {dead_letter_id} does not exist.",
    },
    "dead_letter_not_replayable": {
        "vi": "Sự kiện này không thể gửi lại: {reason}.",
        "en": "This event cannot be replayed: {reason}.",
    },
    "not_an_object": {
        "vi": "Sự kiện không phải đối tượng JSON.",
        "en": "The event is not a JSON object.",
    },
    "event_too_large": {
        "vi": "Sự kiện lớn hơn {limit_kb} KB.",
        "en": "The event is larger than {limit_kb} KB.",
    },
    "message_id_too_long": {
        "vi": "messageId phải ngắn hơn {limit} ký tự.",
        "en": "messageId must be shorter than {limit} characters.",
    },
    "identifier_too_long": {
        "vi": "userId hoặc anonymousId dài hơn {limit} ký tự.",
        "en": "userId or anonymousId is longer than {limit} characters.",
    },
    "invalid_event_type": {
        "vi": "Loại sự kiện không hợp lệ: {value}.",
        "en": "Invalid event type: {value}.",
    },
    "invalid_timestamp": {
        "vi": "Thời điểm không đọc được ở trường {field} (cần ISO-8601).",
        "en": "Unreadable time in {field} (ISO-8601 expected).",
    },
    "missing_event_name": {
        "vi": "Sự kiện track thiếu tên (event).",
        "en": "The track call has no event name.",
    },
    "missing_group_id": {
        "vi": "Sự kiện group thiếu groupId.",
        "en": "The group call has no groupId.",
    },
    "missing_previous_id": {
        "vi": "Sự kiện alias thiếu previousId.",
        "en": "The alias call has no previousId.",
    },
    "missing_user_id": {"vi": "Sự kiện alias thiếu userId.", "en": "The alias call has no userId."},
    "no_user_anon_id": {
        "vi": "Sự kiện không có userId lẫn anonymousId nên không gắn được với khách hàng nào.",
        "en": "The event has neither userId nor anonymousId, so it belongs to no customer.",
    },
    "source_disabled": {
        "vi": "Nguồn đã bị tắt khi sự kiện đến; bật lại nguồn rồi gửi lại.",
        "en": "The source was disabled when the event arrived; enable it, then replay.",
    },
    "processing_failed": {
        "vi": "Xử lý sự kiện bị lỗi: {error}",
        "en": "Processing the event failed: {error}",
    },
    # --- end of event collection ---
    # --- bulk import (issue #3) ---
    "profiles_changed_concurrently": {
        "vi": "Có khách hàng đã bị người khác sửa trong lúc nhập (cập nhật được {updated}/"
        "{expected}); chưa nhập dòng nào, hãy nhập lại.",
        "en": "Some customers were changed by someone else during the import ({updated} of "
        "{expected} could be updated); nothing was imported, run it again.",
    },
    # --- end of bulk import ---
}


def message(code: str, locale: Locale, params: dict[str, Any] | None = None) -> str:
    """Render the message of an error code in ``locale``; falls back to the generic text."""
    entry = ERRORS.get(code) or ERRORS["invalid"]
    template = entry[locale]
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip(" :(") + "."


def negotiate(accept_language: str | None, default: Locale = DEFAULT_LOCALE) -> Locale:
    """Pick vi or en from an Accept-Language header (quality values honoured)."""
    if not accept_language:
        return default
    best: tuple[float, Locale] | None = None
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in LOCALES:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if best is None or quality > best[0]:
            best = (quality, lang)
    return best[1] if best else default


def as_locale(value: str | None, default: Locale = DEFAULT_LOCALE) -> Locale:
    """Coerce a stored or requested language code to a supported locale."""
    return value if value in LOCALES else default

import struct
import unicodedata
import zipfile
from pathlib import Path

import pytest
import xlwt  # type: ignore[import-untyped]

from hoso.engine.tabular import FileKind, TabularError, list_sheets, open_table, sniff
from tests.engine.tabular.builders import (
    to_cp1258,
    truncate,
    write_csv,
    write_ole2,
    write_xls,
    write_xlsx,
)

ROWS = [["Họ và tên", "SĐT"], ["Nguyễn Thị Lan", "0903123456"]]


def error_code(path: Path) -> str:
    with pytest.raises(TabularError) as caught:
        sniff(path)
    return caught.value.code


# --- kinds, by bytes and never by name --------------------------------------------------------


def test_kind_comes_from_the_bytes_not_the_extension(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "really-xlsx.csv", {"KH": ROWS})
    xls = write_xls(tmp_path / "really-xls.xlsx", {"KH": ROWS})
    csv = write_csv(tmp_path / "really-csv.xls", ROWS)
    assert (sniff(xlsx), sniff(xls), sniff(csv)) == (FileKind.XLSX, FileKind.XLS, FileKind.CSV)
    for path, kind in ((xlsx, FileKind.XLSX), (xls, FileKind.XLS), (csv, FileKind.CSV)):
        with open_table(path) as table:
            assert table.kind is kind
            assert table.sample()[0].values == ("Nguyễn Thị Lan", "0903123456")
    upload = write_xlsx(tmp_path / "upload-7f3a", {"KH": ROWS})  # temporary files have no extension
    assert list_sheets(upload)[0].name == "KH"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert error_code(path) == "empty_file"
    with pytest.raises(TabularError, match="empty_file"):
        open_table(path)


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (bytes(range(256)) * 8, "binary"),
        ("<html><body><table><tr><td>SĐT</td></tr></table></body></html>".encode(), "html"),
    ],
)
def test_not_a_spreadsheet(tmp_path: Path, content: bytes, detected: str) -> None:
    path = tmp_path / "khach-hang.xlsx"
    path.write_bytes(content)
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "not_a_spreadsheet"
    assert caught.value.details["detected"] == detected


def test_word_document_renamed_xlsx_is_not_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "khach-hang.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(TabularError) as caught:
        sniff(path)
    assert (caught.value.code, caught.value.details) == ("not_a_spreadsheet", {"detected": "docx"})


def test_old_word_document_is_not_a_spreadsheet(tmp_path: Path) -> None:
    path = write_ole2(tmp_path / "khach-hang.xls", {"WordDocument": b"\xec\xa5" + b"x" * 100})
    assert error_code(path) == "not_a_spreadsheet"


def test_encrypted_workbook_is_password_protected(tmp_path: Path) -> None:
    # Excel saves a password-protected .xlsx as an OLE2 file holding the encrypted zip.
    path = write_ole2(
        tmp_path / "co-mat-khau.xlsx",
        {"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 60, "EncryptedPackage": b"\x00" * 5000},
    )
    assert error_code(path) == "password_protected"
    with pytest.raises(TabularError, match="password_protected"):
        open_table(path)


def test_encrypted_xls_is_password_protected(tmp_path: Path) -> None:
    # An .xls saved with a password has a FILEPASS record right after its first BOF record.
    workbook = xlwt.Workbook()
    workbook.add_sheet("KH").write(0, 0, "Tên")
    stream = workbook.get_biff_data()
    _, length = struct.unpack("<HH", stream[:4])
    filepass = struct.pack("<HHH", 0x2F, 2, 0)
    path = write_ole2(
        tmp_path / "co-mat-khau.xls",
        {"Workbook": stream[: 4 + length] + filepass + stream[4 + length :]},
    )
    assert sniff(path) is FileKind.XLS
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "password_protected"


def test_truncated_xlsx(tmp_path: Path) -> None:
    rows = [["Họ và tên", "SĐT"], *([f"Khách {i}", f"09031234{i:02d}"] for i in range(100))]
    path = truncate(write_xlsx(tmp_path / "cut.xlsx", {"KH": rows}))
    assert error_code(path) == "truncated_file"
    with pytest.raises(TabularError, match="truncated_file"):
        open_table(path)


def test_truncated_xls(tmp_path: Path) -> None:
    rows = [["Họ và tên", "SĐT"], *([f"Khách {i}", f"09031234{i:02d}"] for i in range(300))]
    path = truncate(write_xls(tmp_path / "cut.xls", {"KH": rows}))
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "truncated_file"


def test_xls_without_a_readable_workbook_stream(tmp_path: Path) -> None:
    path = write_ole2(tmp_path / "broken.xls", {"Workbook": b"\x09\x08" + b"\xff" * 200})
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "truncated_file"


# --- text encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8-sig"),
        ("utf-16-le", True, "utf-16"),
        ("utf-16-be", True, "utf-16"),
        ("utf-16-le", False, "utf-16-le"),
        ("cp1258", False, "cp1258"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, bom: bool, expected: str) -> None:
    rows = [["Họ và tên", "SĐT", "Địa chỉ"], ["Nguyễn Thị Lan", "0903123456", "Phường Bến Nghé"]]
    path = write_csv(tmp_path / "kh.csv", rows, encoding=encoding, bom=bom)
    assert sniff(path) is FileKind.CSV
    with open_table(path) as table:
        assert table.encoding == expected
        assert [c.header for c in table.columns] == ["Họ và tên", "SĐT", "Địa chỉ"]
        assert table.sample()[0].values == ("Nguyễn Thị Lan", "0903123456", "Phường Bến Nghé")


def test_windows_1258_tone_marks_come_out_precomposed(tmp_path: Path) -> None:
    raw = to_cp1258("Họ tên\r\nNguyễn Thị Lan\r\nĐặng Văn Đức\r\n")
    assert b"Nguy\xea\xden" in raw  # ê then a combining tilde: how Windows-1258 writes ễ
    path = tmp_path / "kh.csv"
    path.write_bytes(raw)
    with open_table(path) as table:
        names = [row.values[0] for row in table.rows()]
    assert names == ["Nguyễn Thị Lan", "Đặng Văn Đức"]
    assert all(isinstance(n, str) and unicodedata.is_normalized("NFC", n) for n in names)
    assert names[0] == "Nguy\u1ec5n Th\u1ecb Lan"


def test_cp1252_only_when_nothing_else_decodes(tmp_path: Path) -> None:
    # 0x8A (Š) is undefined in Windows-1258, so only cp1252 reads this.
    path = tmp_path / "kh.csv"
    path.write_bytes("Name,Phone\r\nŠárka Nováková,0903123456\r\n".encode("cp1252"))
    with open_table(path) as table:
        assert table.encoding == "cp1252"
        assert "encoding_fallback_cp1252" in table.warnings
        assert table.sample()[0].values[0] == "Šárka Nováková"


def test_encoding_unknown(tmp_path: Path) -> None:
    path = tmp_path / "kh.csv"
    path.write_bytes(b"Name,Phone\r\nA\x81B,0903123456\r\n")  # 0x81: undefined everywhere
    assert error_code(path) == "encoding_unknown"


def test_list_sheets_of_a_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", ROWS)
    [sheet] = list_sheets(path)
    assert (sheet.name, sheet.hidden, sheet.index) == ("", False, 0)

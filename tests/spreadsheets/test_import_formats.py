"""Every refusal of a workbook names the problem in Danish (issue 13): a password-protected file,
the old .xls format, an OpenDocument or binary workbook, and whatever openpyxl, the XML parser or
the zip module stumble on. Never an exception's class name, a 500 or a traceback."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from grants.imports import WorkbookRefused, parse_statement_workbook
from tests.libreoffice import convert
from tests.spreadsheets.test_import import IMPORT, everything, rezip, workbook_bytes

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CLASS_NAME = re.compile(r"\w*(Error|Exception|Forbidden|Warning)\b")
PASSWORD = "beskyttet med en adgangskode"
OLD_FORMAT = "ældre Office-format"
SAVE_AS_XLSX = "gem den som Excel-projektmappe (.xlsx)"


def ole2(*streams: str) -> bytes:
    """An OLE2 compound file as far as the import looks at one: the magic number, then a
    directory naming its streams in UTF-16LE (an encrypted xlsx holds "EncryptionInfo" and
    "EncryptedPackage"; an .xls a "Workbook")."""
    header = OLE2_MAGIC + b"\x00" * (512 - len(OLE2_MAGIC))
    directory = b"".join(
        name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
        for name in ("Root Entry", *streams)
    )
    return header + directory + b"\x00" * 1024


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content, zipfile.ZIP_STORED if name == "mimetype" else None)
    return out.getvalue()


def ods() -> bytes:
    return zipped(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest:manifest/>",
        }
    )


def xlsb() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})


def part_of(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def changed_part(name: str, change) -> bytes:
    data = workbook_bytes()
    return rezip(data, replace={name: change(part_of(data, name))})


def damaged_part(name: str) -> bytes:
    """One byte of a part's compressed data flipped: its checksum no longer matches."""
    data = bytearray(workbook_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def unknown_compression() -> bytes:
    """A part compressed with a method zipfile does not know (99, as WinZip's AES uses)."""
    data = bytearray(workbook_bytes())
    name = b"[Content_Types].xml"
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name.decode()).header_offset
    central = next(
        m.start()
        for m in re.finditer(rb"PK\x01\x02", data)
        if data[m.start() + 46 : m.start() + 46 + len(name)] == name
    )
    for offset in (local + 8, central + 10):  # the method, in the local and the central header
        data[offset : offset + 2] = (99).to_bytes(2, "little")
    return bytes(data)


REFUSED = {  # name: (the file, what the refusal must say)
    "password-protected xlsx": (lambda: ole2("EncryptionInfo", "EncryptedPackage"), PASSWORD),
    "old .xls": (lambda: ole2("Workbook", "SummaryInformation"), OLD_FORMAT),
    "OpenDocument (.ods)": (ods, "OpenDocument-regneark (.ods)"),
    "binary workbook (.xlsb)": (xlsb, "binære format (.xlsb)"),
    "workbook part that is not XML": (
        lambda: changed_part("xl/workbook.xml", lambda xml: xml[: len(xml) // 2]),
        "dets indhold (XML) er beskadiget",
    ),
    "a style openpyxl refuses": (
        lambda: changed_part(
            "xl/styles.xml", lambda xml: xml.replace(b'<sz val="11"', b'<sz val="elleve"', 1)
        ),
        "følger ikke Excel-formatet",
    ),
    "a number of 5,000 digits": (
        lambda: changed_part(
            "xl/worksheets/sheet1.xml",
            lambda xml: re.sub(
                rb'(<c r="B4"[^>]*>)<v>\d+</v>', rb"\1<v>" + b"9" * 5_000 + b"</v>", xml
            ),
        ),
        "følger ikke Excel-formatet",
    ),
    "DOCTYPE after 5 kB of white space": (
        lambda: changed_part(
            "xl/worksheets/sheet1.xml",
            lambda xml: (
                b'<?xml version="1.0"?>' + b" " * 5_000 + b'<!DOCTYPE x [<!ENTITY e "e">]>' + xml
            ),
        ),
        "DOCTYPE/ENTITY",
    ),
    "a part whose checksum fails": (
        lambda: damaged_part("xl/workbook.xml"),
        "zip-strukturen er ødelagt",
    ),
    "a part compressed by an unknown method": (unknown_compression, "zip-strukturen er ødelagt"),
}


def assert_plain_danish(message: str, expected: str) -> None:
    assert expected in message, message
    assert not CLASS_NAME.search(message), message


@pytest.mark.parametrize("name", list(REFUSED))
def test_each_refusal_says_what_is_wrong_in_danish(client, ishoj, tmp_path, name):
    make, expected = REFUSED[name]
    data = make()
    with pytest.raises(WorkbookRefused) as exc:
        parse_statement_workbook(data)
    assert_plain_danish(str(exc.value), expected)
    before = everything()
    client.force_login(ishoj)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("x.xlsx", data)})
    assert response.status_code == 400
    assert_plain_danish(response.content.decode().replace("&#x27;", "'"), expected)
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError) as exc:
        call_command("import_statement", str(path), "--dry-run", stdout=io.StringIO())
    assert_plain_danish(str(exc.value), expected)
    assert everything() == before


def test_the_password_message_says_how_to_remove_it(ishoj):
    with pytest.raises(WorkbookRefused) as exc:
        parse_statement_workbook(ole2("EncryptionInfo", "EncryptedPackage"))
    assert "fjern adgangskoden" in str(exc.value)
    with pytest.raises(WorkbookRefused) as exc:
        parse_statement_workbook(ole2("Workbook"))
    assert SAVE_AS_XLSX in str(exc.value)


@pytest.mark.libreoffice
@pytest.mark.parametrize("target, expected", [("xls", OLD_FORMAT), ("ods", "(.ods)")])
def test_files_libreoffice_saves_in_other_formats(ishoj, tmp_path, target, expected):
    source = tmp_path / "in" / "ishoj-2016.xlsx"
    source.parent.mkdir()
    source.write_bytes(workbook_bytes())
    converted = convert(source, tmp_path / "out", target).read_bytes()
    with pytest.raises(WorkbookRefused) as exc:
        parse_statement_workbook(converted)
    assert_plain_danish(str(exc.value), expected)
    assert SAVE_AS_XLSX in str(exc.value)

"""Hostile files for the resource-limit tests and bench/bench_bad_inputs.py: forged-size xlsx bombs, wide CSVs."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from conftest import HEADERS, csv_bytes, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"
_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
         b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
         b'<c r="A1" t="inlineStr"><is><t>')
_FOOT = b"</t></is></c></row></sheetData></worksheet>"


def _deflate(pieces) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, inflated size) of an iterable of byte pieces, never all held at once."""
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out, crc, size = [], 0, 0
    for piece in pieces:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        out.append(z.compress(piece))
    out.append(z.flush())
    return b"".join(out), crc, size


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, deflate stream, crc, declared inflated size), written by hand so sizes can lie."""
    body, directory = io.BytesIO(), io.BytesIO()
    for name, stream, crc, declared in members:
        offset = body.tell()
        raw = name.encode()
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), declared, len(raw), 0))
        body.write(raw + stream)
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(stream), declared,
                                    len(raw), 0, 0, 0, 0, 0, offset) + raw)
    cd = directory.getvalue()
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), body.tell(), 0)
    return body.getvalue() + cd + end


def forged_xlsx(inflated_mb: int, declared: int = 105_000) -> bytes:
    """A real workbook whose first worksheet inflates to `inflated_mb` MB while every size field says `declared`."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([]))) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    members = []
    for name, content in parts.items():
        if name == SHEET:
            filler = (b"A" * (1 << 20) for _ in range(inflated_mb))
            stream, crc, _ = _deflate([_HEAD, *filler, _FOOT])
        else:
            stream, crc, _ = _deflate([content])
        members.append((name, stream, crc, declared if name == SHEET else len(content)))
    return _zip(members)


def far_cell_xlsx(ref: str = "XFD1048576") -> bytes:
    """Two cells, A1 and `ref`: a parser laying out the grid between them needs rows × columns cells."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([]))) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = (_HEAD.replace(b'<row r="1"><c r="A1" t="inlineStr"><is><t>', b"")
             + f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">'
               f'<c r="{ref}"><v>1</v></c></row></sheetData></worksheet>'.encode())
    parts[SHEET] = sheet
    members = [(name, *_deflate([content])[:2], len(content)) for name, content in parts.items()]
    return _zip(members)


def wide_csv(columns: int = 1_000_000, rows: int = 20) -> bytes:
    """The template's header, then `rows` lines of `columns` empty fields (about columns × rows bytes)."""
    return csv_bytes([]) + (b"," * (columns - 1) + b"\r\n") * rows


def normal_csv(rows: int, project_row) -> bytes:
    return csv_bytes([project_row(i) for i in range(1, rows + 1)], headers=HEADERS)

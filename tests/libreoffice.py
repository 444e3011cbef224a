"""LibreOffice as an independent reader of our workbooks: it recalculates every formula and
writes files of its own. Tests that use it are marked `libreoffice` (make test-fast leaves them
out); without LibreOffice they are skipped on a developer's machine and fail in CI (conftest).

Our workbooks store each formula's result (XlsxWriter), and LibreOffice by default shows stored
results of an xlsx file without recalculating. The throwaway profile is set to recalculate on
every load, so what it shows is its own arithmetic, never ours echoed back."""

import csv
import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Semicolon-separated UTF-8, quoted text, formulas' results as shown; `,N` picks sheet N.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false"
# Tools > Options > Calc > Formula > "Recalculation on file load", Excel 2007 and newer: Always.
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def convert(path: Path, outdir: Path, target: str, *, infilter: str = "") -> Path:
    """`soffice --convert-to target`, with a throwaway profile that recalculates every formula
    on load; the file it wrote."""
    profile = outdir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    extension = target.split(":")[0]
    return outdir / f"{path.stem}.{extension}"


def recalculated_rows(path: Path, outdir: Path, *, sheet: int | None = None) -> list[list[str]]:
    """The sheet as LibreOffice computes it (numbers as plain digits, e.g. 11280000)."""
    target = CSV_FILTER + (f",{sheet}" if sheet else "")
    produced = convert(path, outdir, target)
    if not produced.exists():  # with a sheet number LibreOffice adds the sheet's name
        produced = sorted(outdir.glob(f"{path.stem}*.csv"))[0]
    return list(csv.reader(produced.open(encoding="utf-8"), delimiter=";"))

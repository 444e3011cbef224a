"""LibreOffice as an independent reader of our workbooks: it recalculates every formula and
writes files of its own. Tests that use it are marked `libreoffice` (make test-fast leaves them
out); without LibreOffice they are skipped on a developer's machine and fail in CI (conftest)."""

import csv
import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Semicolon-separated UTF-8, quoted text, formulas' results as shown; `,N` picks sheet N.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false"


def convert(path: Path, outdir: Path, target: str, *, infilter: str = "") -> Path:
    """`soffice --convert-to target`, with a throwaway profile; the file it wrote."""
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{outdir}/lo-profile",
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

"""A4 pages in print of a batch's pages: `python benchmarks/print_pages.py OUTPUTS/PERIOD ...`.

Prints every report HTML of the period folder(s), the period index, ``outputs/index.html``
and ``history.html`` to A4 PDF in headless Chromium exactly as ``tests/test_browser.py``
does (viewport 1280×800, ``page.pdf(format="A4")``, which lays the page out for print), and
prints the page count of each. ``--pdf DIR`` keeps the PDFs there (to look at them, e.g.
``pdftoppm -r 40 -png DIR/x.pdf DIR/x``). ``--json FILE`` writes the counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import CHROMIUM, VIEWPORT, _pdf_pages  # noqa: E402


def pages_of(folder: Path) -> list[Path]:
    root = folder.parent
    reports = sorted(p for p in folder.glob("*.html") if p.name != "index.html")
    extra = [folder / "index.html", root / "index.html", root / "history.html"]
    return [*reports, *(p for p in extra if p.exists())]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path, help="period folders (outputs/2026-10)")
    ap.add_argument("--pdf", type=Path, help="keep the PDFs in this folder")
    ap.add_argument("--json", type=Path, help="write the counts to this file")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    counts: dict[str, dict[str, int]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for folder in (f.resolve() for f in args.folders):  # a file URI needs an absolute path
            seen = counts.setdefault(str(folder), {})
            for path in pages_of(folder):
                name = path.stem if path.parent == folder else f"outputs/{path.stem}"
                page = browser.new_page(viewport=VIEWPORT)
                try:
                    page.goto(path.as_uri(), wait_until="load")
                    page.evaluate("document.fonts.ready.then(() => true)")
                    pdf = page.pdf(format="A4")
                finally:
                    page.close()
                seen[name] = _pdf_pages(pdf)
                print(f"{folder}  {name:32s} {seen[name]:3d}", flush=True)
                if args.pdf:
                    out = args.pdf / folder.parent.name
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{name.replace('/', '_')}.pdf").write_bytes(pdf)
        browser.close()
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Write the README's picture of the HTML report: `ddbguard check ASSEMBLY --format html`, opened in headless
Chromium (fixtures/browser.py), the whole page with the findings table filtered to one rule (DDB004), as one PNG.

    python tools/html_report_picture.py build/demo/cdk.out docs/html-report.png   (make picture)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.browser import INSTALL_HINT, Chromium, find_chromium  # noqa: E402


def main(assembly: str, picture: str) -> int:
    binary = find_chromium()
    if binary is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        completed = subprocess.run([sys.executable, "-m", "ddbguard", "check", assembly, "--format", "html",
                                    "--output", str(page)], capture_output=True, text=True, check=False)
        if completed.returncode not in (0, 1):
            print(completed.stderr, file=sys.stderr)
            return 2
        browser = Chromium(binary, width=1400, height=900)
        try:
            browser.open(page)
            browser.evaluate("(() => { const rule = document.getElementById('f-rule'); rule.value = 'DDB004'; "
                             "rule.dispatchEvent(new Event('change')); window.scrollTo(0, 0); })()")
            browser.screenshot(Path(picture), full_page=True)
        finally:
            browser.close()
    print(f"wrote {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

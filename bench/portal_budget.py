"""Portal budgets in a real browser: page weight (bytes transferred, gzip) and first contentful
paint on a throttled 3G-like link (1.6 Mbps down, 750 kbps up, 300 ms RTT), cold cache.

Run against a portal with the demo content::

    hoclieu demo && hoclieu serve &
    python bench/portal_budget.py --base-url http://127.0.0.1:8000

Budgets (issue 6): home, browse and search ≤ 60 KB before thumbnails; FCP ≤ 2 s throttled.
Needs Playwright for Python and Debian's chromium (``--chromium`` to point elsewhere).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from typing import Any

BUDGET_BYTES = 60 * 1024
BUDGET_FCP_MS = 2000
THROTTLE = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUDGETED = {"home", "grade", "subject", "search"}


def _pages(base: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(f"{base}/api/v1/search?q=toan+lop+5&size=20") as r:
        hits = json.load(r)["hits"]
    video = next(
        (h["id"] for h in hits if h.get("type") == "video-bai-giang"), hits[0]["id"] if hits else None
    )
    pages = [
        ("home", "/"),
        ("grade", "/grades/5"),
        ("subject", "/grades/5/toan"),
        ("search", "/search?q=toan+lop+5"),
        ("search-en", "/search?q=toan+lop+5&lang=en"),
    ]
    if video:
        pages.append(("material-video", f"/m/{video}"))
    return pages


def measure(browser: Any, url: str) -> dict[str, Any]:
    """Transferred bytes by kind and FCP for one cold page load under throttling."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    kinds: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"]))
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    fcp = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
    )
    context.close()
    images = sum(n for rid, n in sizes.items() if kinds.get(rid) == "Image")
    total = sum(sizes.values())
    return {
        "before_images": total - images,
        "images": images,
        "total": total,
        "requests": len(sizes),
        "fcp_ms": fcp,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        for name, path in _pages(args.base_url):
            rows.append((name, measure(browser, args.base_url + path)))
        browser.close()
    print(f"{'page':<16}{'KB before thumbs':>17}{'KB thumbs':>10}{'requests':>9}{'FCP ms':>8}  budget")
    failed = False
    for name, m in rows:
        fcp = m["fcp_ms"]
        ok = fcp is not None and fcp <= BUDGET_FCP_MS
        if name in BUDGETED:
            ok = ok and m["before_images"] <= BUDGET_BYTES
        failed |= not ok
        print(
            f"{name:<16}{m['before_images'] / 1024:>17.1f}{m['images'] / 1024:>10.1f}{m['requests']:>9}"
            f"{(fcp or float('nan')):>8.0f}  {'ok' if ok else 'OVER'}"
        )
    print(
        f"budgets: ≤ {BUDGET_BYTES // 1024} KB before thumbnails (home, browse, search), "
        f"FCP ≤ {BUDGET_FCP_MS} ms; throttled 1.6 Mbps / 750 kbps / 300 ms RTT, cold cache, 360x740"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

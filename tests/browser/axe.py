"""axe-core accessibility checks in the page under test.

The vendored tests/browser/vendor/axe.min.js (see vendor/README.md) is injected into the page as a
script tag with its content; nothing is fetched from a CDN. `serious_violations(page)` runs every
axe rule on the whole document and returns the violations whose impact is "serious" or
"critical"; `describe(violations)` formats them for an assertion message.
"""

from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def inject_axe(page) -> None:
    """Put axe on the page (once per document)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy
        # (script-src 'self', no inline script) does not govern; a <script> tag would be refused.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")


def run_axe(page, context=None, options=None) -> dict:
    """axe.run on the document (or `context`, a CSS selector); the raw results."""
    inject_axe(page)
    return page.evaluate(
        """async ([context, options]) => {
            return await window.axe.run(context || document, options);
        }""",
        [context, {"resultTypes": ["violations"], **(options or {})}],
    )


def serious_violations(page, context=None, options=None) -> list[dict]:
    """The violations with impact serious or critical."""
    results = run_axe(page, context, options)
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """One line per violation: id, impact, help, how many nodes and the first node's target."""
    lines = []
    for v in violations:
        nodes = v.get("nodes") or []
        target = nodes[0]["target"] if nodes else []
        html = nodes[0].get("html", "") if nodes else ""
        lines.append(
            f"- {v['id']} [{v.get('impact')}] {v.get('help')} "
            f"({len(nodes)} node(s); first: {target} {html[:160]}) {v.get('helpUrl', '')}"
        )
    return "\n".join(lines)

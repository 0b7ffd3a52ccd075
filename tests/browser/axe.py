"""axe-core in the browser tests: run it on one page after another and keep the serious and
critical violations, listed page by page for the failure message.

axe-core comes bundled with axe-playwright-python (a dev extra): nothing is downloaded when
the tests run. Playwright injects it through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so the CSP stays as strict as in production.
"""

from typing import Any

from axe_playwright_python.sync_playwright import Axe

FAILING_IMPACTS = {"serious", "critical"}
AXE = Axe()


class Audit:
    """Runs axe on one page after another and keeps the serious and critical violations."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.screens = 0

    def check(self, page: Any, screen: str, *, within: str | None = None) -> None:
        # Toasts fade in; a half-transparent one would be measured at half its contrast.
        page.emulate_media(reduced_motion="reduce")
        page.wait_for_load_state("load")
        results = AXE.run(page, context=within) if within else AXE.run(page)
        self.screens += 1
        for violation in results.response["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            self.problems.append(
                f"{screen} ({page.url}): [{violation['impact']}] {violation['id']}: "
                f"{violation['help']}"
            )
            for node in violation["nodes"][:5]:
                summary = " ".join(node["failureSummary"].split())
                self.problems.append(f"    {' '.join(node['target'])}: {summary[:300]}")
            if len(violation["nodes"]) > 5:
                self.problems.append(f"    … and {len(violation['nodes']) - 5} more")

    def visit(self, page: Any, screen: str, url: str) -> None:
        page.goto(url)
        self.check(page, screen)

    def report(self) -> str:
        return "\n".join([f"{len(self.problems)} lines of axe violations:", *self.problems])

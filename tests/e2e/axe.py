"""axe-core in the browser tests: the copy npm installed in frontend/node_modules (a devDependency),
injected into the page under test; nothing is downloaded. The page's context needs `bypass_csp=True`:
the web client's Content-Security-Policy refuses inline scripts, and the injected one is one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.conftest import REPO, unavailable

AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")

# The rules of WCAG 2.x A and AA, and axe's best practices (landmarks, a main, headings).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """async ({ include, tags }) => {
  const result = await window.axe.run(include ?? document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary ?? "" })),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    where: str
    id: str
    impact: str
    help: str
    nodes: list[dict[str, str]]

    def __str__(self) -> str:
        lines = [f"[{self.where}] {self.impact} {self.id}: {self.help}"]
        for node in self.nodes:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}  —  {summary}")
        return "\n".join(lines)


async def violations(page: Any, where: str, include: str | None = None) -> list[Violation]:
    """The serious and critical axe violations on the page as it is now (or inside `include`)."""
    if not AXE.is_file():
        unavailable(f"{AXE} is missing: `npm ci` in frontend (axe-core is a devDependency)")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    # Colours are measured after the transitions and animations settle, not halfway through one.
    await page.evaluate(
        "Promise.all(document.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)"
        ".map((a) => a.finished.catch(() => null)))"
    )
    found = await page.evaluate(RUN, {"include": include, "tags": TAGS})
    return [Violation(where, v["id"], v["impact"], v["help"], v["nodes"]) for v in found if v["impact"] in FAILING]


def report(found: list[Violation]) -> str:
    return f"{len(found)} serious or critical accessibility violations:\n" + "\n".join(map(str, found))

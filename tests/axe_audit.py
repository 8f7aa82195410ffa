"""axe-core (the copy bundled in axe-playwright-python, so nothing downloads) over a Playwright
page: WCAG 2.1 A and AA rules, and what of it is serious or critical.

    found = audit(page)                     # [Finding], every impact
    serious(found)                          # the ones a test fails on
    summary(found)                          # "rule (impact) x nodes" lines, for a message

In JupyterLab, a finding is *ours* when its element is inside what the course put on the page (in
a cell's output, its rendered Markdown, the Markdown viewer's document); everything else,
including the host elements JupyterLab renders them into, is JupyterLab's own chrome.
`CHROME_EXCLUSIONS` lists the rules JupyterLab itself breaks, each with its upstream issue:
`chrome_exempt(found)` drops those rules on JupyterLab's elements only, never on ours.
"""

from dataclasses import dataclass

from axe_playwright_python.base import AXE_SCRIPT

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")

# The hosts JupyterLab renders the course's content into (outputs, Markdown in cells and in the
# viewer, the widgets): what is inside them is ours.
OUR_CONTENT = (".jp-OutputArea-output, .jp-RenderedMarkdown, .jp-RenderedHTMLCommon, "
               ".course-widget")

# Rules JupyterLab 4's own chrome breaks (not our content), each with its upstream issue.
CHROME_EXCLUSIONS = {
    # toolbar <jp-button>s (role none) carry aria-pressed: jupyterlab/jupyterlab#16891
    "aria-allowed-attr": "https://github.com/jupyterlab/jupyterlab/issues/16891",
    # the cells' CodeMirror editors (role textbox) have no accessible name:
    # jupyterlab/jupyterlab#10347
    "aria-input-field-name": "https://github.com/jupyterlab/jupyterlab/issues/10347",
    # the notebook's cell list is role="feed" without role="article" children:
    # jupyterlab/jupyterlab#14765
    "aria-required-children": "https://github.com/jupyterlab/jupyterlab/issues/14765",
    # a Markdown heading's collapse button has no text or label (no issue of its own; the WCAG
    # 2.1 umbrella issue): jupyterlab/jupyterlab#9399
    "button-name": "https://github.com/jupyterlab/jupyterlab/issues/9399",
    # scrollers that take no focus: a read-only cell editor's (a code line wider than the
    # window), the Markdown viewer's document (no issue of their own either; the same umbrella
    # issue): jupyterlab/jupyterlab#9399
    "scrollable-region-focusable": "https://github.com/jupyterlab/jupyterlab/issues/9399",
}


@dataclass(frozen=True)
class Finding:
    """One element that breaks one rule."""
    rule: str
    impact: str
    target: str          # axe's CSS selector of the element
    html: str            # its opening markup, clipped
    ours: bool           # inside OUR_CONTENT (always True on a page of our own)
    help: str


_RUN = """async ([options, ours]) => {
    const results = await axe.run(document, options);
    const found = [];
    for (const v of results.violations) {
        for (const node of v.nodes) {
            const selector = node.target.flat().join(' ');
            let element = null;
            try { element = document.querySelector(node.target[node.target.length - 1]); }
            catch (e) { element = null; }
            found.push({rule: v.id, impact: node.impact || v.impact, target: selector,
                        html: (node.html || '').slice(0, 200), help: v.help,
                        ours: ours === null ? true
                              : !!(element && element.parentElement
                                   && element.parentElement.closest(ours))});
        }
    }
    return found;
}"""


def audit(page, our_content=None):
    """Every WCAG 2.1 A/AA violation on the page, one Finding per element. our_content: the CSS
    selector of the course's own content (None: the whole page is ours)."""
    page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return [Finding(**f) for f in page.evaluate(_RUN, [options, our_content])]


def serious(found):
    return [f for f in found if f.impact in FAILING_IMPACTS]


def chrome_exempt(found):
    """The findings less CHROME_EXCLUSIONS' rules on JupyterLab's own elements."""
    return [f for f in found if f.ours or f.rule not in CHROME_EXCLUSIONS]


def summary(found):
    """One line per element: rule (impact), where, and its markup."""
    return "\n".join(f"{f.rule} ({f.impact}){' [ours]' if f.ours else ''}: {f.target}  {f.html}"
                     for f in found)


def counts(found):
    """{"all": n, "serious": n, "ours serious": n}: elements (not rules) in violation."""
    return {"all": len(found), "serious": len(serious(found)),
            "ours serious": len([f for f in serious(found) if f.ours])}

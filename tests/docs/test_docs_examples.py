"""Every self-contained example in the docs runs against the local server.

An example is self-contained when it starts its own ``LocalViServer``; the others (a real
organization's placeholders in the quickstart) are shown but cannot run here. Each resource
family page must have at least one that runs.
"""

import contextlib
import io
import re
import textwrap

import pytest

from tests.helpers import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def code_blocks(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if re.match(r"\s*\.\. code-block:: python\s*$", lines[i]):
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
        else:
            i += 1
    return blocks


PAGES = sorted(DOCS.glob("*.rst")) + sorted((DOCS / "resources").glob("*.rst"))
RUNNABLE = [
    (page, index, block)
    for page in PAGES
    for index, block in enumerate(code_blocks(page))
    if "LocalViServer" in block
]


@pytest.mark.parametrize(
    "page, index, block", RUNNABLE, ids=["%s[%d]" % (p.relative_to(DOCS), i) for p, i, _ in RUNNABLE]
)
def test_example_runs(page, index, block):
    out = io.StringIO()
    namespace = {"__name__": "docs_example"}
    with contextlib.redirect_stdout(out):
        exec(compile(block, "%s[%d]" % (page.name, index), "exec"), namespace)
    client = namespace.get("client")
    if client is not None and hasattr(client, "is_closed"):
        if "with vi.Client" in block:
            assert client.is_closed  # the examples' with-blocks close their clients
        else:
            client.close()


def test_every_resource_page_has_a_running_example():
    pages = {p for p, _, _ in RUNNABLE}
    for page in sorted((DOCS / "resources").glob("*.rst")):
        assert page in pages, "%s has no self-contained example" % page.name

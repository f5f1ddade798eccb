"""``datature-vi`` / ``python -m vi``: the command line for the ETL jobs people run from a shell.

Nothing here is imported by ``import vi``: the package loads only when the command runs, and
it is built on the standard library's ``argparse`` and the SDK's public API, so it needs no
extra dependency. ``docs/cli.rst`` is the user's guide.
"""

from typing import List, Optional

__all__ = ["main"]


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    from .app import run

    return run(argv, prog=prog)

"""Shared test helpers: import them as ``tests.helpers.<module>``.

The test tree is a package (every folder has an ``__init__.py``), so each test module has one
dotted name and helpers never shadow each other by bare module name."""

from pathlib import Path

#: the checkout's root folder (``setup.cfg``, ``vi/``, ``docs/``, ``examples/``)
REPO_ROOT = Path(__file__).resolve().parents[2]

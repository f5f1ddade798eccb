"""Listing and managing: ``organizations``, ``datasets``, ``assets list``, ``runs`` and
``models list``. Every listing streams page by page (see :mod:`vi.cli.output`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict

from . import columns as cols
from .exits import OK, USAGE, CliError

__all__ = ["register"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number, got %r" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, got %d" % value)
    return value


def paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--page-size", type=_positive, default=100, metavar="N", help="items per request (1-1000)"
    )
    parser.add_argument("--limit", type=_positive, default=None, metavar="N", help="stop after N items")


def register(groups: Dict[str, Any]) -> None:
    g = groups["organizations"]
    paging(g.add("list", organizations_list, "organizations visible to the secret key"))
    g.add("get", organizations_get, "the configured organization")

    g = groups["datasets"]
    paging(g.add("list", datasets_list, "every dataset of the organization"))
    g.add("get", datasets_get, "one dataset").add_argument("dataset_id")
    p = g.add("create", datasets_create, "create a dataset")
    p.add_argument("name")
    p.add_argument(
        "--type", default="phrase-grounding", dest="dataset_type", help="phrase-grounding, vqa or freeform"
    )
    p.add_argument("--content", default="Image")
    p.add_argument("--description", default="")
    p = g.add("delete", datasets_delete, "delete a dataset (asks first at a terminal; --yes in scripts)")
    p.add_argument("dataset_id")
    p.add_argument("--yes", action="store_true", help="do not ask; required when not at a terminal")
    p.add_argument("--wait", action="store_true", help="wait until the deletion has finished")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")

    g = groups["assets"]
    p = g.add("list", assets_list, "a dataset's assets, with the filters of assets.list")
    p.add_argument("dataset_id")
    p.add_argument(
        "--filter", dest="filter_criteria", metavar="QUERY", help="the service's filter string or JSON"
    )
    p.add_argument("--metadata-query", metavar="QUERY")
    p.add_argument("--rule-query", metavar="QUERY")
    p.add_argument("--strict-query", action="store_true", default=None)
    p.add_argument(
        "--sort-by",
        metavar="CRITERION",
        help="default, assetId, filename, lastModified.contents, metadata.fileSize",
    )
    p.add_argument("--order", choices=("asc", "desc"), default="asc")
    p.add_argument("--contents", action="store_true", default=None, help="include pre-signed URLs")
    p.add_argument("--page-after", action="store_true", default=None)
    paging(p)

    g = groups["runs"]
    paging(g.add("list", runs_list, "training runs"))
    g.add("get", runs_get, "one run").add_argument("run_id")

    g = groups["models"]
    p = g.add("list", models_list, "the models (checkpoints) of a run")
    p.add_argument("run_id")
    paging(p)


def organizations_list(ctx: Any) -> int:
    client = ctx.client()
    ctx.listing(
        lambda: client.organizations.list(page_size=ctx.args.page_size), cols.ORGANIZATION, ctx.args.limit
    )
    return OK


def organizations_get(ctx: Any) -> int:
    ctx.show(ctx.client().organizations.get(), cols.ORGANIZATION)
    return OK


def datasets_list(ctx: Any) -> int:
    client = ctx.client()
    ctx.listing(lambda: client.datasets.list(page_size=ctx.args.page_size), cols.DATASET, ctx.args.limit)
    return OK


def datasets_get(ctx: Any) -> int:
    ctx.show(ctx.client().datasets.get(ctx.args.dataset_id), cols.DATASET)
    return OK


def datasets_create(ctx: Any) -> int:
    a = ctx.args
    dataset = ctx.client().datasets.create(
        a.name, dataset_type=a.dataset_type, content=a.content, description=a.description
    )
    ctx.show(dataset, cols.DATASET)
    return OK


def _confirm(ctx: Any, question: str) -> None:
    if ctx.args.yes:
        return
    try:
        interactive = sys.stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        raise CliError("refusing to %s without --yes when not at a terminal" % question, USAGE)
    answer = input("Really %s? [y/N] " % question).strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("not confirmed; nothing was deleted", USAGE)


def datasets_delete(ctx: Any) -> int:
    a = ctx.args
    client = ctx.client()
    dataset = client.datasets.get(a.dataset_id)  # a missing dataset fails here, before asking
    _confirm(ctx, "delete dataset %s (%s) and all its assets" % (dataset.dataset_id, dataset.name))
    operation = client.datasets.delete(a.dataset_id)
    if a.wait:
        operation = client.datasets.wait_for_deletion(a.dataset_id, timeout=a.timeout)
        ctx.info("Deleted dataset %s" % a.dataset_id)
    else:
        ctx.info("Deletion of dataset %s started (--wait waits for it)" % a.dataset_id)
    ctx.show(operation, cols.DELETED_DATASET)
    return OK


def assets_list(ctx: Any) -> int:
    a = ctx.args
    sort = {"criterion": a.sort_by, "order": a.order} if a.sort_by else None
    client = ctx.client()
    first_page = lambda: client.assets.list(  # noqa: E731 - called by the listing, see Context.listing
        a.dataset_id,
        filter_criteria=a.filter_criteria,
        contents=a.contents,
        sort_by=sort,
        metadata_query=a.metadata_query,
        rule_query=a.rule_query,
        strict_query=a.strict_query,
        page_after=a.page_after,
        page_size=a.page_size,
    )
    ctx.listing(first_page, cols.ASSET, a.limit)
    return OK


def runs_list(ctx: Any) -> int:
    client = ctx.client()
    ctx.listing(lambda: client.runs.list(page_size=ctx.args.page_size), cols.RUN, ctx.args.limit)
    return OK


def runs_get(ctx: Any) -> int:
    ctx.show(ctx.client().runs.get(ctx.args.run_id), cols.RUN)
    return OK


def models_list(ctx: Any) -> int:
    client = ctx.client()
    ctx.listing(
        lambda: client.models.list(ctx.args.run_id, page_size=ctx.args.page_size), cols.MODEL, ctx.args.limit
    )
    return OK

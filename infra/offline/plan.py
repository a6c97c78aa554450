"""`make plan`: an offline plan of the Pulumi program for review, without a cloud account.

Runs the program against Pulumi's mocks with a stack file's config (placeholder secrets) and
writes every resource -- type, name, inputs with secrets masked, parent, dependencies -- as
plan.json, plus a readable plan.txt, and prints the summary; with --against OLD, also what
changes against OLD (plan-diff.txt), for a merge request.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from labforge.core.atomic import write_text
from labforge.core.errors import LabforgeError

from ..config.stack import ConfigProblem
from .mocks import Record
from .plan_diff import diff_plans, old_plan, summary_line
from .simulate import run, stack_file_config

REPO = Path(__file__).resolve().parents[2]

MASK = "[secret]"


def masked(value):
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return MASK
        return {k: masked(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def plan_document(records: list[Record]) -> dict:
    """Every resource, in URN order: Pulumi's mocks register them in whatever order their
    inputs resolve, so the order they arrive in changes from run to run."""
    by_urn = {r.urn: r for r in records}
    return {"resources": [
        {"type": r.type, "name": r.name, "urn": r.urn,
         "parent": r.parent if r.parent in by_urn else None,
         "provider": r.provider.split("::")[2] if r.provider else None,
         "dependencies": sorted(r.dependencies),
         "inputs": masked(r.inputs)}
        for r in sorted(records, key=lambda r: r.urn)]}


def summary(records: list[Record]) -> str:
    by_urn = {r.urn: r for r in records}
    kids: dict[str, list[Record]] = {}
    for r in records:
        kids.setdefault(r.parent if r.parent in by_urn else "", []).append(r)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(kids.get(parent, []), key=lambda x: (x.type, x.name)):
            deps = ", ".join(sorted(short(d) for d in r.dependencies))
            lines.append(f"{'  ' * depth}{r.type}  {r.name}" + (f"  (after: {deps})" if deps else ""))
            walk(r.urn, depth + 1)

    walk("", 0)
    counts = Counter(r.type.split(":")[0] for r in records if r.custom)
    total = sum(counts.values())
    lines.append("")
    lines.append(f"{total} resources to create: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                 + f"; {len(records) - total} components")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-file", type=Path, default=REPO / "Pulumi.dev.yaml")
    parser.add_argument("--out", type=Path, default=Path("build/plan"))
    parser.add_argument("--against", metavar="OLD", help="also show what changes against OLD: a plan.json, or a "
                                                         "git ref (e.g. origin/main) planned with its own files")
    args = parser.parse_args(argv)
    try:
        old = old_plan(args.against, args.stack_file, REPO) if args.against else None  # a bad one stops first
        records, _ = run(stack_file_config(args.stack_file))
        document = plan_document(records)
        text = summary(records)
        files = {"plan.json": json.dumps(document, indent=2, sort_keys=True) + "\n", "plan.txt": text}
        if old is not None:  # the diff first: nothing is written when it fails
            lines = diff_plans(old, document)
            files["plan-diff.txt"] = f"Against {args.against}: {summary_line(lines)}\n" + "".join(f"{line}\n"
                                                                                                 for line in lines)
    except (ConfigProblem, LabforgeError, ValueError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    written = []
    for name, body in files.items():
        write_text(args.out / name, body)
        written.append(args.out / name)
    sys.stdout.write(text + ("\n" + files["plan-diff.txt"] if "plan-diff.txt" in files else ""))
    print("written: " + ", ".join(map(str, written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

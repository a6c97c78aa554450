"""Spack's `when:` conditions on definitions and includes, decided for the image a release builds.

Spack evaluates these as Python with a few names bound (platform, os, target, arch, env...).
labforge never runs what a file says: it reads the condition with `ast` and decides only the plain
forms -- comparisons of those names with strings, `in`, `and`/`or`/`not`, `env.get("NAME")`.
Anything else is refused in one line (ConditionError), so a condition is never guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

MAX_LENGTH = 500


class ConditionError(ValueError):
    """A condition that is not one of the plain forms."""


@dataclass(frozen=True)
class Where:
    """What spack's names mean inside the image: Linux, the base image's OS, labforge's target.
    `env` is the build's environment as a release sees it: empty (a release never depends on the
    shell it was imported from)."""

    platform: str = "linux"
    os: str = "debian12"
    target: str = "x86_64_v3"
    env: dict[str, str] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        return {"platform": self.platform, "os": self.os, "target": self.target,
                "arch": f"{self.platform}-{self.os}-{self.target}",
                "arch_str": f"{self.platform}-{self.os}-{self.target}", "hostname": ""}


def holds(condition: object, where: Where) -> bool:
    """Whether a definition's or include's `when:` holds in the image; ConditionError when it is
    not a plain condition."""
    if isinstance(condition, bool):
        return condition
    if not isinstance(condition, str) or not condition.strip():
        raise ConditionError("a when: condition must be a non-empty string")
    if len(condition) > MAX_LENGTH:
        raise ConditionError(f"a when: condition is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError:
        raise ConditionError(f"when: {condition[:80]!r} is not a condition spack could read") from None
    value = _value(tree.body, where, condition)
    if not isinstance(value, bool):
        raise ConditionError(f"when: {condition[:80]!r} is not true or false")
    return value


def _value(node: ast.AST, where: Where, text: str) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool)) or (
            isinstance(node, ast.Constant) and node.value is None):
        return node.value
    if isinstance(node, ast.Name) and node.id in where.names():
        return where.names()[node.id]
    if isinstance(node, ast.BoolOp):
        values = [_value(v, where, text) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _value(node.operand, where, text)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _value(node.left, where, text), _value(node.comparators[0], where, text)
        op = node.ops[0]
        if isinstance(op, (ast.Eq, ast.NotEq)):
            return (left == right) == isinstance(op, ast.Eq)
        if isinstance(op, (ast.Is, ast.IsNot)) and right is None:
            return (left is None) == isinstance(op, ast.Is)
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, str) and isinstance(left, str):
            return (left in right) == isinstance(op, ast.In)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "env" and not node.keywords
            and 1 <= len(node.args) <= 2 and all(isinstance(a, ast.Constant) for a in node.args)):
        default = node.args[1].value if len(node.args) == 2 else None
        return where.env.get(node.args[0].value, default)
    raise ConditionError(f"when: {text[:80]!r} is not a plain condition (comparisons of platform, os, "
                         "target, arch or env.get(...) with strings, joined by and/or/not)")

"""A parser for the part of spack's spec syntax that tool submissions use.

Supported: ``name@version +variant ~variant key=value key==value ^dependency %compiler``,
with ``++``/``~~`` for propagated variants, ``@=version`` for an exact version, quoted flag values
(``cflags="-O3 -g"``: letters, digits, spaces and ``_.+,:*/=-``), edge attributes
(``^[virtuals=gl] osmesa``) and version ranges on dependencies (``^python@3.10:``).
Not supported (rejected with a message saying so): a tool's own version as a range or list
(``@1.2:1.4``, ``@1.2,1.4``), hashes (``/abc``), and the ``-variant`` spelling.

Specs from other people's environments (`release import`, ``foreign=True``) may also hold ranges
and lists at the root (the importer pins them) and ``-variant``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*")
VERSION = re.compile(r"=?[A-Za-z0-9_][A-Za-z0-9_.-]*")
VARIANT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
VALUE = re.compile(r"[A-Za-z0-9_.+,:*/-][A-Za-z0-9_.+,:*/=-]*")
# Foreign specs only: `@1.2:1.4,2.0`, `"-O3 -g"`, `[virtuals=gl]`
_ITEM = r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_.-]*)?|:[A-Za-z0-9_][A-Za-z0-9_.-]*)"
VERSION_CONSTRAINT = re.compile(rf"=?{_ITEM}(?:,{_ITEM})*")
QUOTED = re.compile(r""""[A-Za-z0-9_.+,:*/= -]{0,200}"|'[A-Za-z0-9_.+,:*/= -]{0,200}'""")
EDGE = re.compile(r"\[(?:virtuals|deptypes)=[a-z0-9_,-]{1,100}\]")


class SpecSyntaxError(ValueError):
    def __init__(self, text: str, pos: int, message: str):
        self.text, self.pos = text, pos
        super().__init__(f"{message} at column {pos + 1} of {text!r}")


@dataclass
class Spec:
    name: str
    version: str | None = None
    variants: dict[str, bool | str] = field(default_factory=dict)
    dependencies: list["Spec"] = field(default_factory=list)
    compiler: "Spec | None" = None
    edge: str = ""  # "[virtuals=gl]" before a dependency's name


    def __str__(self) -> str:
        out = self.name + (f"@{self.version}" if self.version else "")
        for key, value in sorted(self.variants.items()):
            if value is True:
                out += f" +{key}"
            elif value is False:
                out += f" ~{key}"
            elif " " in value:
                out += f' {key}="{value}"'
            else:
                out += f" {key}={value}"
        if self.compiler:
            out += f" %{self.compiler.edge + ' ' if self.compiler.edge else ''}{self.compiler}"
        for dep in self.dependencies:
            out += f" ^{dep.edge + ' ' if dep.edge else ''}{dep}"
        return out


def parse(text: str, foreign: bool = False) -> Spec:
    """Parse one root spec; raise SpecSyntaxError naming the column and what is not supported."""
    parser = _Parser(text, foreign)
    spec = parser.spec(root=True)
    parser.skip_space()
    if parser.pos < len(text):
        raise SpecSyntaxError(text, parser.pos, f"unexpected {text[parser.pos]!r}")
    return spec


class _Parser:
    def __init__(self, text: str, foreign: bool = False):
        self.text, self.pos, self.foreign = text, 0, foreign

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, pattern: re.Pattern[str], what: str) -> str:
        match = pattern.match(self.text, self.pos)
        if not match:
            raise SpecSyntaxError(self.text, self.pos, f"expected {what}")
        self.pos = match.end()
        return match.group(0)

    def fail_unsupported(self, message: str) -> None:
        raise SpecSyntaxError(self.text, self.pos, f"{message} (not supported in tool submissions)")

    def spec(self, root: bool = False, is_compiler: bool = False) -> Spec:
        self.skip_space()
        if self.peek() in ("'", '"'):
            self.fail_unsupported("quoted spec")
        if self.peek() == "/":
            self.fail_unsupported("hash reference")
        edge = self.edge() if not root and self.peek() == "[" else ""
        spec = Spec(self.take(NAME, "a package name (lowercase letters, digits, '-')"), edge=edge)
        while True:
            self.skip_space()
            char = self.peek()
            if not char:
                return spec
            if char == "@":
                self.version(spec, root)
            elif char in "+~":
                self.variant(spec)
            elif char == "%":
                if is_compiler:
                    return spec  # "%gcc %clang": the second one belongs to the parent
                if spec.compiler:
                    raise SpecSyntaxError(self.text, self.pos, "a second '%' compiler")
                self.pos += 1
                spec.compiler = self.spec(is_compiler=True)
                if not root:
                    return spec
            elif char == "^":
                if not root:
                    return spec  # dependencies belong to the root spec
                self.pos += 1
                spec.dependencies.append(self.spec())
            elif char == "/":
                self.fail_unsupported("hash reference")
            elif char in ("'", '"'):
                self.fail_unsupported("quoted value")
            elif char == "-" and self.foreign:
                self.variant(spec)  # spack reads -x as ~x
            elif char == "-":
                self.fail_unsupported("'-variant' spelling; write '~variant'")
            elif VARIANT_NAME.match(self.text, self.pos) and self._is_key_value():
                self.key_value(spec)
            else:
                return spec

    def edge(self) -> str:
        match = EDGE.match(self.text, self.pos)
        if not match:
            raise SpecSyntaxError(self.text, self.pos, "expected [virtuals=NAME] or [deptypes=...]")
        self.pos = match.end()
        self.skip_space()
        return match.group(0)

    def version(self, spec: Spec, root: bool) -> None:
        if spec.version is not None:
            raise SpecSyntaxError(self.text, self.pos, "a second version")
        self.pos += 1
        if self.foreign or not root:  # a dependency may be a range (^python@3.10:); a tool is one version
            spec.version = self.take(VERSION_CONSTRAINT, "a version or range after '@'")
            return
        spec.version = self.take(VERSION, "a version after '@'")
        if self.peek() == ":":
            self.fail_unsupported("version range; name one concrete version")
        if self.peek() == ",":
            self.fail_unsupported("version list; name one concrete version")

    def variant(self, spec: Spec) -> None:
        sign = self.peek()
        self.pos += 1
        if self.peek() == sign:  # ++x / ~~x propagate to dependencies
            self.pos += 1
        name = self.take(VARIANT_NAME, f"a variant name after '{sign}'")
        self._set(spec, name, sign == "+")  # "~x" and "-x" alike

    def _is_key_value(self) -> bool:
        match = VARIANT_NAME.match(self.text, self.pos)
        return bool(match) and self.text[match.end():match.end() + 1] == "="

    def key_value(self, spec: Spec) -> None:
        key = self.take(VARIANT_NAME, "a variant name")
        self.pos += 1
        if self.peek() == "=":
            self.pos += 1
        if self.peek() in ("'", '"'):
            self._set(spec, key, self.take(QUOTED, f"a closing quote for {key}= (quoted values hold letters, "
                                                   "digits, spaces and _.+,:*/=-)")[1:-1])
            return
        self._set(spec, key, self.take(VALUE, f"a value for {key}="))

    def _set(self, spec: Spec, key: str, value: bool | str) -> None:
        if key in spec.variants:
            raise SpecSyntaxError(self.text, self.pos, f"variant {key!r} given twice")
        spec.variants[key] = value

"""Read YAML while remembering the line of every key, so errors can point at it.

PyYAML's safe loader silently keeps the last of duplicate keys; here a duplicate is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import LabforgeError, Problem

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded YAML document plus the line (1-based) of each path in it."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        # The deepest known ancestor of a path is the best place to point at.
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: Path_, message: str, hint: str = "") -> Problem:
        return Problem(self.file, message, hint, line=self.line_of(path), field=dotted(path))


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# Manifests, tool submissions and settings are a few KB: anything far larger is a mistake or an
# attack, and so is a document whose aliases expand into a huge tree or that nests too deep.
MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64


def load(path: Path, display: str | None = None) -> Located:
    display = display or str(path)
    return loads(_read(path, display), display)


class PlainOnly(LabforgeError):
    """A file read only as plain values holds YAML anchors, aliases or merge keys."""


def load_plain(path: Path, display: str | None = None) -> Located:
    """`load`, for files labforge reads only as plain values (imported spack environments): one
    that is valid YAML but holds anchors, aliases or merge keys is refused (PlainOnly)."""
    display = display or str(path)
    text = _read(path, display)
    located = loads(text, display)
    line = anchor_line(text)
    if line is not None:
        raise PlainOnly(Problem(display, "YAML anchors, aliases and merge keys are not read",
                                "write the values out where they are used", line=line))
    return located


def _read(path: Path, display: str) -> str:
    try:
        if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
            raise LabforgeError(Problem(display, "is not a regular file", "give the path of a YAML file"))
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise LabforgeError(Problem(display, f"is larger than {MAX_BYTES // 1024} KiB",
                                        "a labforge YAML file is a few KB; check that this is the right file"))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LabforgeError(Problem(display, "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabforgeError(Problem(display, f"cannot read file: {exc}")) from None
    return text


def loads(text: str, display: str) -> Located:
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters here already
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, display)
        located = Located(None, display)
        located.data = _build(loader, node, (), located) if node is not None else None
        return located
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise LabforgeError(
            Problem(display, f"not valid YAML: {exc.problem or exc.context}",
                    "fix the syntax at that line", line=line)
        ) from None
    except yaml.YAMLError as exc:
        raise LabforgeError(Problem(display, f"not valid YAML: {' '.join(str(exc).split())}",
                                    "remove control characters and check the encoding (UTF-8)")) from None
    except RecursionError:
        raise LabforgeError(Problem(display, "nested too deeply to be a labforge file",
                                    "check the brackets and indentation")) from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_size(root: yaml.Node, display: str) -> None:
    """Refuse trees that nest deeper than MAX_DEPTH or expand (aliases counted each time they are
    used) to more than MAX_NODES nodes, before anything walks them."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # Post-order without recursion: children are sized before their parents.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if not ready:
            stack.append((node, True))
            stack += [(child, False) for child in children if id(child) not in sizes]
            continue
        sizes[id(node)] = 1 + sum(sizes.get(id(c), 0) for c in children)
        depths[id(node)] = 1 + max((depths.get(id(c), 0) for c in children), default=0)
        if sizes[id(node)] > MAX_NODES or depths[id(node)] > MAX_DEPTH:
            what = "nested too deeply" if depths[id(node)] > MAX_DEPTH else "too large once its aliases are expanded"
            raise LabforgeError(Problem(display, f"the document is {what}",
                                        "write the values out plainly; labforge files need no deep aliases",
                                        line=node.start_mark.line + 1))


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: Located) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise LabforgeError(out.problem(path, f"unsupported mapping key {key!r}"))
            if key in result:
                raise LabforgeError(
                    Problem(out.file, "duplicate key", "each key may appear once; merge the two entries",
                            line=key_node.start_mark.line + 1, field=dotted(path + (str(key),)))
                )
            child = path + (str(key),)
            out.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), out) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (notes) as readable literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    """Deterministic YAML: insertion order kept, block style, unicode as is."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def anchor_line(text: str) -> int | None:
    """The line of the first anchor, alias or merge key (`<<`) in `text`, or None."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)) or (
                    isinstance(token, yaml.ScalarToken) and token.plain and token.value == "<<"):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        return None  # load() says what is wrong with it
    return None

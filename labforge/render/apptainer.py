"""Apptainer definition converted from the rendered Containerfile with spython, gaps fixed.

spython's known gaps, each fixed here:
- `USER x` becomes `su - x` in %post (which would fail at build time): dropped, since
  Apptainer runs as the calling user anyway;
- ENTRYPOINT/CMD are joined into the runscript without quoting: we write the runscript;
- labels come out as `key="value"`, which Apptainer reads as a key with no value, and ENV
  becomes unexported %post assignments;
- a stage `FROM base` would make Apptainer pull an image called "base": the stage it names is
  inlined (its image and all its instructions: spack-build repeats spack-builder);
- `ARG` lines, comments and BuildKit `RUN --mount=` flags end up as %post
  commands: removed before conversion.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

MOUNT_FLAG = re.compile(r"(?m)^(RUN\s+)((?:--mount=\S+\s+\\?\s*)+)")
SU_LINE = re.compile(r"(?m)^\s*su -\s+\S+.*\n")
LABEL_LINE = re.compile(r'^(\S+)="(.*)"\s*$')
FROM_LINE = re.compile(r"^FROM\s+(\S+)\s+AS\s+(\S+)\s*$", re.I)


def _instructions(text: str) -> list[str]:
    """Join continuation lines; drop comments, blanks, SHELL and ARG lines."""
    joined, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            joined.append(current)
            current = ""
    return [i for i in joined if not re.match(r"(SHELL|ARG)\b", i)]


def inline_stages(text: str, args: dict[str, str]) -> str:
    """Replace `FROM <stage>` by that stage's image and instructions, so every stage names a real image."""
    stages: dict[str, tuple[str, list[str]]] = {}
    out: list[str] = []
    current: str | None = None
    for instruction in _instructions(text):
        for key, value in args.items():
            instruction = instruction.replace("${%s}" % key, value)
        match = FROM_LINE.match(instruction.strip())
        if match:
            image, current = match.groups()
            env: list[str] = []
            if image in stages:
                image, env = stages[image][0], list(stages[image][1])
            stages[current] = (image, env)
            out.append(f"FROM {image} AS {current}\n")
            out += env
            continue
        if current:  # a later `FROM <this stage>` repeats all of it (image, ENV, RUN, COPY)
            stages[current][1].append(instruction)
        out.append(instruction)
    # A stage that only sets up the others (e.g. "base") has no place in the definition.
    used = {m.group(1) for m in re.finditer(r"--from=(\S+)", "".join(out))}
    final = list(stages)[-1] if stages else None
    kept, skip = [], False
    for instruction in out:
        match = FROM_LINE.match(instruction.strip())
        if match:
            name = match.group(2)
            skip = name not in used and name != final
        if not skip:
            kept.append(instruction)
    return MOUNT_FLAG.sub(r"\1", "".join(kept))


ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


# The OCI image's per-package layers ("COPY --from=spack-build /opt/labforge/layers/NAME/ /"):
# a SIF file is one squashfs, so Apptainer takes every prefix in one %files line instead
# (cp-like %files would put each NAME directory itself under /).
LAYER_LINE = re.compile(r"^(/opt/labforge/layers)/[^/\s]+/ /$")


def _fix_sections(definition: str) -> str:
    """Labels as `key value`; ENV turned into %post assignments must be exported to reach
    commands; the software layers as one line."""
    lines, section, layers_done = [], "", False
    for line in definition.splitlines():
        if line.startswith("%"):
            section = line.split()[0]
        elif section == "%files" and (match := LAYER_LINE.match(line)):
            if layers_done:
                continue
            line, layers_done = f"{match.group(1)}/*/opt/software/* /opt/software/", True
        elif section == "%labels":
            match = LABEL_LINE.match(line)
            if match:
                line = f"{match.group(1)} {match.group(2)}"
        elif section == "%post" and ENV_ASSIGNMENT.match(line):
            line = f"export {line}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def convert(containerfile: str, base_image: str, entrypoint: list[str], cmd: list[str]) -> str:
    from spython.logger import bot
    from spython.main.parse.parsers import DockerParser
    from spython.main.parse.writers import SingularityWriter

    bot.level = 0  # spython warns about missing COPY sources, which exist only at build time
    text = inline_stages(containerfile, {"BASE_IMAGE": base_image})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Containerfile"
        path.write_text(text, encoding="utf-8")
        recipe = DockerParser(str(path)).recipe
    runscript = "exec " + shlex.join(entrypoint + cmd) + ' "$@"'
    definition = SingularityWriter(recipe).convert(runscript=runscript, force=True)
    definition = _fix_sections(SU_LINE.sub("", definition))
    header = ("# Generated by labforge from the Containerfile with spython -- do not edit.\n"
              "# Apptainer runs as the calling user, so the Containerfile's USER has no counterpart.\n")
    return header + definition.strip() + "\n"

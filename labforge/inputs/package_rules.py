"""A release's spack package rules (`packages:` in a release manifest): requirements, preferences,
default variants, providers, and externals the image holds instead of building. `release import`
keeps them from the environment it reads; the render writes them into the release's spack.yaml
beside labforge's own (the OS compiler and Python, the target).

Every string here reaches spack's parser and nothing else, written as a JSON string; it is still
held to a spec's characters, so it can never carry shell or YAML syntax.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator, model_validator

# A spec constraint as spack writes one: `+mpi ~cuda`, `@1.14:`, `mesa +glx`, `^[virtuals=gl] osmesa`,
# `cflags="-O1"`. No `$`, backquote, backslash, `;`, `|`, `&`, `<`, `>`, `#`, `{`, `}` or newline.
CONSTRAINT = re.compile(r"""[A-Za-z0-9_.+~=@:,^%/*\[\] "'-]{1,400}""")
PACKAGE = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
PATH_NAME = re.compile(r"[A-Za-z0-9._+-]{1,255}")
# labforge's own rules, never replaced by a release: the OS compiler and Python, the target.
OWN = ("gcc", "python", "c", "cxx", "fortran", "gcc-runtime", "glibc", "compiler-wrapper")


def constraint(value: str) -> str:
    if not CONSTRAINT.fullmatch(value) or value != value.strip():
        raise ValueError(f"{value[:80]!r} is not a spec constraint -- write it as spack does (e.g. '+mpi ~cuda', "
                         "'@1.14:', 'mesa +glx'); no $, backquotes, ;, |, &, <, >, # or braces")
    return value


class Requirement(BaseModel):
    """One entry of `require:` (or `prefer:`/`conflict:`): a constraint, or one_of/any_of a list,
    maybe only `when` another constraint holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: StrictStr | None = None
    one_of: list[StrictStr] | None = None
    any_of: list[StrictStr] | None = None
    when: StrictStr | None = None

    @field_validator("spec", "when")
    @classmethod
    def _one(cls, value: str | None) -> str | None:
        return None if value is None else constraint(value)

    @field_validator("one_of", "any_of")
    @classmethod
    def _many(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [constraint(v) for v in value]

    @model_validator(mode="after")
    def _exactly_one(self) -> "Requirement":
        if sum(x is not None for x in (self.spec, self.one_of, self.any_of)) != 1:
            raise ValueError("a requirement is exactly one of spec, one_of or any_of")
        return self


class External(BaseModel):
    """A package the image already holds at `prefix` (from the base image or its Debian packages)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: StrictStr
    prefix: StrictStr

    _spec = field_validator("spec")(lambda v: constraint(v))

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        # Stacks built by spack's CI name prefixes deep in padded install trees: longer than a
        # setting's path, each name still plain.
        value = value.rstrip("/") or value
        parts = value.split("/")
        if (len(value) > 1024 or parts[0] != "" or value == "/"
                or not all(PATH_NAME.fullmatch(p) and p not in (".", "..") for p in parts[1:])):
            raise ValueError(f"{value[:80]!r} is not an absolute path of plain names (letters, digits and ._+- "
                             "between the slashes, at most 1024 characters)")
        return value


class PackageRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    require: list[Requirement] = Field(default_factory=list)
    prefer: list[Requirement] = Field(default_factory=list)
    conflict: list[Requirement] = Field(default_factory=list)
    variants: StrictStr | None = None
    version: list[StrictStr] = Field(default_factory=list)
    buildable: StrictBool = True
    externals: list[External] = Field(default_factory=list)
    providers: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)

    @field_validator("require", "prefer", "conflict", mode="before")
    @classmethod
    def _plain(cls, value: object) -> object:
        """`- "+mpi"` is short for `- spec: "+mpi"`, and one string for a list of one, as in spack."""
        value = [value] if isinstance(value, str) else value
        return [{"spec": v} if isinstance(v, str) else v for v in value] if isinstance(value, list) else value

    @field_validator("variants")
    @classmethod
    def _variants(cls, value: str | None) -> str | None:
        return None if value is None else constraint(value)

    @field_validator("version")
    @classmethod
    def _versions(cls, value: list[str]) -> list[str]:
        return [constraint(v) for v in value]

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for virtual, names in value.items():
            for name in [virtual, *names]:
                if not PACKAGE.fullmatch(name):
                    raise ValueError(f"{name[:80]!r} is not a spack package name")
        return value

    def as_spack(self) -> dict:
        """The rule as spack's packages.yaml writes it (only what is set)."""
        out: dict = {}
        for key in ("require", "prefer", "conflict"):
            entries = getattr(self, key)
            if entries:
                out[key] = [e.spec if e.spec and e.when is None else e.model_dump(exclude_none=True) for e in entries]
        if self.variants:
            out["variants"] = self.variants
        if self.version:
            out["version"] = list(self.version)
        if not self.buildable:
            out["buildable"] = False
        if self.externals:
            out["externals"] = [e.model_dump() for e in self.externals]
        if self.providers:
            out["providers"] = {k: list(v) for k, v in self.providers.items()}
        return out


def check_names(rules: dict[str, PackageRule]) -> dict[str, PackageRule]:
    for name in rules:
        if name != "all" and not PACKAGE.fullmatch(name):
            raise ValueError(f"{name[:80]!r} is not a spack package name")
        if name in OWN:
            raise ValueError(f"packages: {name} is labforge's own (images use the OS compiler and Python); remove it")
    return rules

"""Entry point of `pulumi up`: read the stack config, then build the lab (see program.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pulumi

from infra import config as stack_config
from infra import program
from labforge.errors import LabforgeError

try:
    config, secrets = stack_config.load()
    catalog = program.read_catalog(config)
except (stack_config.ConfigProblem, LabforgeError) as problem:
    # A clean message and no resource registered; pulumi prints no stack trace for RunError.
    raise pulumi.RunError(str(problem)) from None

for name, value in program.build(config, secrets, catalog).items():
    pulumi.export(name, value)

"""Entry point of `pulumi up`: read the stack config, then build the lab (see program.py)."""

import pulumi

from infra import program
from infra.config import stack as stack_config
from labforge.core.errors import LabforgeError

try:
    config, secrets = stack_config.load()
    catalog = program.read_catalog(config)
except (stack_config.ConfigProblem, LabforgeError) as problem:
    # A clean message and no resource registered; pulumi prints no stack trace for RunError.
    raise pulumi.RunError(str(problem)) from None

for name, value in program.build(config, secrets, catalog).items():
    pulumi.export(name, value)

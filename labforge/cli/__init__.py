"""The `labforge` command line: `labforge X Y` is in cli/X.py (cli/release/ for the release
group's parts), registered on the apps of cli/app.py; cli/main.py runs it. Shared: options.py
(argument checks), output.py (what people see), project.py (--project), serve.py (`try`)."""

from .main import main

__all__ = ["main"]

"""What every step uses: problems and the one error (errors), running external tools (process),
files written whole (atomic), folders labforge may replace (owned), and reading YAML into models
with each problem at its line (yamlio, validation, fields)."""

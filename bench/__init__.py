"""Scripts that print labforge's speed and size figures: run as modules from the checkout
(`python -m bench.render`), or all of them with `make bench`."""

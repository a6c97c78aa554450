"""What labforge serves on 127.0.0.1 for the demo, the tests and `release try`: a registry, a Lab."""

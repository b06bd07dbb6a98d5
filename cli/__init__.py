"""The command line: `python -m cli <command>`. Each command lives in its own module here."""

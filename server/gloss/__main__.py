"""`python -m gloss` runs the CLI."""

from gloss.cli import main

main()

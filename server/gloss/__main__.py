"""`python -m gloss` runs the CLI."""

from gloss.cli import main

# Guarded: a spawned child process (the sentence encoder's) imports this module again.
if __name__ == "__main__":
    main()

"""``python -m vi``: the same command line as the ``datature-vi`` script."""

from .cli.app import console

if __name__ == "__main__":
    console(prog="python -m vi")

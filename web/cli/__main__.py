"""``python -m web.cli``: the same command line as the ``hoclieu`` entry point."""

from web.cli import main

main()

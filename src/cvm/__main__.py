"""``python -m cvm`` runs the command line."""

from .cli import main

main()

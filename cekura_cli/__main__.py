"""``python -m cekura_cli`` runs the same entry point as the ``cekura`` command."""

from cekura_cli.entry import main

if __name__ == "__main__":
    main()

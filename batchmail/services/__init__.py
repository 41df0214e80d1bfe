"""The jobs the UI and the command line ask for, one module each, each given only the repositories and
collaborators it uses (`repositories.py` declares them as Protocols; `storage/` implements them)."""

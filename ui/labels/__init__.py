"""The UI's words, one module per language; each maps the same keys (tests/ui/test_labels.py checks it)."""

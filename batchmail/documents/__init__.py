"""The printed documents: the piece template (piece.html), its stylesheet (style.css) and their labels."""

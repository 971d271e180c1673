"""Identifier validation and keyed pseudonyms: the only code that ever sees a BSN."""

"""The bottom layer: source contracts, the staging and table schemas, and every rule of
definitions.md written once. Imports nothing else of the package; every other part may import it."""

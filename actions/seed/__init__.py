"""The seed tooling: fixtures/source/recap.txt read, as curated, into fixtures/recap.json.

`source` splits the text into rows, `budget_cell` reads a Budget cell, `sous_actions` reads the
sub-actions a descriptif lists, `curated/` holds the curated tables (the reading of the cells no
rule gives) and `fixture` turns all of it into the fixture's records. Read by the
`build_recap_fixture` command and its tests; actions/demo.py also borrows the referential
(`curated.referential`) and the demo's tests the budget cell reader.
"""

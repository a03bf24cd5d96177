"""The curated reading of the source as data: what no rule gives, written down as tables.

`referential`: the contract, its enjeux and the orientations as cited; `structures`: every
organisation once with the other spellings the fiches use, and the one contact; `fiches`: each
row's orientations, enjeux and participations, and the fiches whose descriptif lists
sub-actions. docs/referentiel.md explains each choice.
"""

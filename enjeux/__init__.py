"""The contract's referential: the contract, its enjeux and their orientations."""

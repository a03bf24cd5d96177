"""Organisations taking part in the contract (porteurs, partners, financers) and their contacts."""

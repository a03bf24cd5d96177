"""Fiches actions: the contract's actions, their budgets, sub-actions, pages and exports."""

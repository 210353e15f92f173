"""Inventory pricing."""


def calc(items):
    """Total price of (quantity, unit price) pairs, with 20% tax, rounded to cents."""
    return round(sum(q * p for q, p in items) * 1.2, 2)

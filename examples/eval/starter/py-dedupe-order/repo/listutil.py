"""List helpers."""


def dedupe(items):
    """Items without repeats, in the order they first appear."""
    return sorted(set(items))

"""Counting words."""
import re


def word_count(text):
    """The number of words (runs of letters, digits or apostrophes) in text."""
    return len(re.findall(r"[A-Za-z0-9']+", text))

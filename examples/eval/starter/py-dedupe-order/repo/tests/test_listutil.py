import unittest

from listutil import dedupe


class DedupeTest(unittest.TestCase):
    def test_no_repeats(self):
        self.assertEqual(dedupe([1, 2, 3]), [1, 2, 3])

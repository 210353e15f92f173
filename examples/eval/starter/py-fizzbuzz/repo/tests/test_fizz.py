import unittest

from fizz import fizzbuzz


class FizzTest(unittest.TestCase):
    def test_plain(self):
        self.assertEqual(fizzbuzz(4), "4")

    def test_three(self):
        self.assertEqual(fizzbuzz(9), "Fizz")

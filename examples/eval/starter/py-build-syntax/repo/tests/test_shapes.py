import unittest

from geometry import area_of


class AreaTest(unittest.TestCase):
    def test_square(self):
        self.assertEqual(area_of("square", 2), 4)

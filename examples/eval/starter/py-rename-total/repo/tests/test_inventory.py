import unittest

import inventory


class InventoryTest(unittest.TestCase):
    def test_calc(self):
        self.assertEqual(inventory.calc([(3, 2.0)]), 7.2)

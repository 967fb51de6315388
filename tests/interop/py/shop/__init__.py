"""A package, so that 0.1.2's default wire tags carry a dotted module: `shop.orders.Order`."""

"""MarketService: the built-in reference exchange (order book, uniform-price clearing)."""

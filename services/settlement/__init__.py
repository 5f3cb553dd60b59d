"""SettlementService: delivery measured, money settled to the fen, statements."""

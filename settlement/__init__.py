"""Pure settlement rules: delivered energy, payments, penalties and who gets which fen."""

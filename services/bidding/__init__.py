"""BiddingService: OR-Tools offers from the portfolio, submitted to the market gateway."""

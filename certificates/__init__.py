"""Green-electricity certificate (GEC) ledger in Redis, and carbon attribution."""

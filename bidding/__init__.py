"""Pure optimisation: flexibility, baselines, forecasts, the bid builder, dispatch."""

"""VppService: the park as one virtual power plant — flexibility, baselines, dispatch."""

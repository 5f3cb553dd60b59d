"""Generated code of the ParkVPP v1 contract (python protos/generate.py)."""

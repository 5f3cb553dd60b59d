"""The .proto contract and its code generator (not installed; see protos/parkvpp)."""

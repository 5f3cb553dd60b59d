"""`parkvpp demo`: a sample park runs one full market day through the real services."""

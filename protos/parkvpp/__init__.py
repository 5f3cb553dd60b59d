"""ParkVPP protobuf contract."""

"""ParkVPP services: the thin gRPC and Kafka layer over the domain packages."""

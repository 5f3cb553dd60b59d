"""Runtime shared by every service: settings, servers, Kafka, Redis, metrics, errors."""

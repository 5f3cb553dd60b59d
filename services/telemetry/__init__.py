"""TelemetryService: meter readings in through Kafka, 15-minute rollups out."""

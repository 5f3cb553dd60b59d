"""CertificateService: the green-certificate ledger and carbon attribution over gRPC."""

"""EnrollmentService: enterprises and the assets they put into the VPP."""

"""The synthetic sample export and its generator (`samples.generate`)."""

"""engines/des."""

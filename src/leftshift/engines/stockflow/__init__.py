"""engines/stockflow."""

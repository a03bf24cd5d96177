"""Settings package: base (shared), dev, test, production."""

"""iquest-autofix HTTP edge: webhook receiver, repair API, health and metrics."""

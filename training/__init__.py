"""skinlab training package."""

"""skinlab models package."""

"""skinlab data package."""

"""skinlab serving package."""

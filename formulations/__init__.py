"""skinlab formulations package."""

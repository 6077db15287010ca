"""One router per resource: health, analyses, users."""

"""Finds re-uploads of a person's intimate images on the web; keeps evidence; helps remove them."""

__version__ = "0.1.0"

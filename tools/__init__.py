"""Maintenance scripts for the book (not used by the notebooks)."""

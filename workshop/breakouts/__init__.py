"""Breakout rooms: split participants into balanced, diverse groups and run timed rounds with report-back."""

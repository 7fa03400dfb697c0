"""Helpers for the Python tests of generated code."""

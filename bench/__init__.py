"""Benchmarks: seed data, load the pages, time the check-up pipeline (see README.md)."""

"""Starts and drives the real servers (action server, rasa run, PostgreSQL) for tests, benchmarks and evaluation scripts."""

"""Delivering the outbox: rendering messages, the channels, calendar files, the jobs."""

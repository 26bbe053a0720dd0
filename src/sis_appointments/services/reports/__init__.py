"""Read-only outputs: calendar files and CSV exports."""

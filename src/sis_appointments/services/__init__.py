"""Transactions: load, apply domain rules, persist, audit, announce. The session is passed in."""

"""Plumbing every service uses: transactions, post-commit events, audit, idempotency,
answers from the SIS, admin settings, batches."""

"""Scheduling: appointment types, series, slots, the seat ledger, eligibility, bookings,
waitlists, conflicts, availability and what happens when the SIS changes a student."""

"""Mediators, organisations, availability, bookings and reminders."""

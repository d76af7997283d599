"""Guided intake dialog: a resident's messages in, a filed case out."""

"""Accounts and roles: network staff (admins), organisers of communities, learners."""

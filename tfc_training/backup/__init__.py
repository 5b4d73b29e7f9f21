"""Backing the whole database up to one file, and restoring it from one."""

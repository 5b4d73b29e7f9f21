"""The audit trail of each event: who changed what and when, readable by organisers."""

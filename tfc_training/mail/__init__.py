"""E-mail: messages are written to an outbox in the same transaction as the change
they announce, then delivered over SMTP, and retried until they go."""

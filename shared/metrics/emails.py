"""The notifier's emails (services/notifier/delivery.py): sent, failed attempts, and those waiting.

``waiting`` is the outbox's unsent rows as the last delivery round left them. Copies of the notifier on
one outbox file each report the same rows: take the max over copies, not the sum.
"""

from prometheus_client import Counter, Gauge

EMAILS_SENT = Counter("scimflow_emails_sent", "Emails the SMTP server accepted.")
EMAILS_FAILED = Counter(
    "scimflow_emails_failed", "Attempts to send an email that failed (it stays in the outbox and is retried).")
EMAILS_WAITING = Gauge("scimflow_emails_waiting", "Emails in the outbox not sent yet, after the last delivery round.")

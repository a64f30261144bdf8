"""The notifier: tells a tenant's admins, in-app and by email, once per notice (its dedupe key), through
SMTP outages; and raises, as time passes, the notices nobody asks for: token-expiry reminders, failure
digests and seat notices (scheduled/)."""

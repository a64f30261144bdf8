"""The notices the notifier raises itself as time passes, not because a service asked: token-expiry
reminders (token_reminders.py), provisioning-failure digests (failure_digests.py) and seat notices
(seat_notices.py). schedule.py runs them on their intervals, over the tenants read from the compacted
``tenants.state`` topic (tenants.py).
"""

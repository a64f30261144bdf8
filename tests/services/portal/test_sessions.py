"""Sessions and the sign-in throttle, pure (a clock the test moves)."""

from services.portal.sessions import SessionStore, SignInThrottle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_is_found_by_its_id_and_holds_the_key_server_side():
    store = SessionStore(idle_seconds=60, max_seconds=3600, clock=Ticks())
    session = store.start("admin", "sca_secret", "acme")
    found = store.find(session.session_id)
    assert found is session and found.key == "sca_secret"
    assert "sca_secret" not in session.session_id and session.csrf_token != session.session_id


def test_a_session_ends_after_the_idle_time_and_at_the_maximum_age():
    ticks = Ticks()
    store = SessionStore(idle_seconds=60, max_seconds=150, clock=ticks)
    idle = store.start("admin", "k", "acme")
    ticks.now += 61
    assert store.find(idle.session_id) is None
    busy = store.start("admin", "k", "acme")
    for _ in range(3):
        ticks.now += 50
        assert store.find(busy.session_id) is busy  # each request keeps it alive ...
    ticks.now += 1
    assert store.find(busy.session_id) is None  # ... up to the maximum age


def test_sign_out_ends_the_session():
    store = SessionStore(idle_seconds=60, max_seconds=3600, clock=Ticks())
    session = store.start("operator", "k", "Operator")
    store.end(session.session_id)
    assert store.find(session.session_id) is None and store.find(None) is None


def test_three_wrong_keys_are_free_then_each_next_try_waits_longer():
    ticks = Ticks()
    throttle = SignInThrottle(clock=ticks)
    for _ in range(3):
        assert throttle.wait_for("1.2.3.4") == 0
        throttle.failed("1.2.3.4")
    assert throttle.wait_for("1.2.3.4") == 1.0
    assert throttle.wait_for("5.6.7.8") == 0  # another address is not slowed down
    ticks.now += 1
    throttle.failed("1.2.3.4")
    assert throttle.wait_for("1.2.3.4") == 2.0
    for _ in range(20):
        throttle.failed("1.2.3.4")
    assert throttle.wait_for("1.2.3.4") == SignInThrottle.MAX_WAIT


def test_a_right_key_clears_the_count():
    throttle = SignInThrottle(clock=Ticks())
    for _ in range(5):
        throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.wait_for("a") == 0

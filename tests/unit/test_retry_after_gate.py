"""The Retry-After gate's own rules, with a fake clock: per server, once per pause, longest wins."""

from vi.retry import RetryAfterGate


def test_a_storage_pause_does_not_hold_back_the_api_host():
    now = [100.0]
    gate = RetryAfterGate(clock=lambda: now[0])
    sleeps = []
    gate.hold("https://storage.example", 5)
    assert gate.wait("https://api.example", sleeps.append, 0.0) == 0.0 and sleeps == []
    gate.wait("https://storage.example", sleeps.append, 0.0)
    assert sleeps == [5.0]


def test_gate_waits_once_per_pause_and_honours_a_longer_one_from_elsewhere():
    now = [100.0]
    gate = RetryAfterGate(clock=lambda: now[0])
    sleeps = []
    own = gate.hold("o", 2)  # this call's own pause: it sleeps that as its retry delay
    assert gate.wait("o", sleeps.append, own) == own and sleeps == []
    longer = gate.hold("o", 10)  # another thread's longer pause
    assert gate.hold("o", 1) < longer  # a shorter one does not shorten it
    assert gate.wait("o", sleeps.append, own) == longer and sleeps == [10.0]
    now[0] += 10
    assert gate.wait("o", sleeps.append, 0.0) == longer and sleeps == [10.0]  # over: no sleep

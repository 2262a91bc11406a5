"""The purge rests between batches so the live tenants keep the machine (duty cycle)."""

import pytest

from grove.retention import purge


def test_it_rests_as_long_as_the_batch_took_at_half_duty(settings):
    settings.GROVE_RETENTION_DUTY_CYCLE = 0.5
    settings.GROVE_RETENTION_BATCH_PAUSE = 0.0
    assert purge.rest_after(0.2) == pytest.approx(0.2)


def test_a_lower_duty_cycle_rests_longer_and_one_never_rests(settings):
    settings.GROVE_RETENTION_BATCH_PAUSE = 0.0
    settings.GROVE_RETENTION_DUTY_CYCLE = 0.25
    assert purge.rest_after(0.1) == pytest.approx(0.3)
    settings.GROVE_RETENTION_DUTY_CYCLE = 1
    assert purge.rest_after(0.1) == 0


def test_the_fixed_pause_is_a_floor(settings):
    settings.GROVE_RETENTION_DUTY_CYCLE = 0.5
    settings.GROVE_RETENTION_BATCH_PAUSE = 0.3
    assert purge.rest_after(0.1) == pytest.approx(0.3)
    assert purge.rest_after(0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("duty", [0, -0.5, 1.5])
def test_a_duty_cycle_outside_zero_to_one_is_refused(settings, duty):
    settings.GROVE_RETENTION_DUTY_CYCLE = duty
    with pytest.raises(ValueError, match="DUTY_CYCLE"):
        purge.rest_after(0.1)


def test_the_batches_rest_between_them(settings, monkeypatch, retention_world):
    """A real purge sleeps after its batches for the duty cycle's share."""
    from .test_purge_org import purge_data

    settings.GROVE_RETENTION_BATCH_SIZE = 2
    settings.GROVE_RETENTION_DUTY_CYCLE = 0.5
    rests = []
    monkeypatch.setattr(purge.time, "sleep", rests.append)
    purge_data(retention_world.a.organization)
    assert len(rests) > 3 and all(rest >= 0 for rest in rests) and any(rests)

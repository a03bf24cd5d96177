"""Figures cached per data version (contrat/datacache.py): computed once, again after a write,
and by one visitor at a time."""

import threading

import pytest
from django.core.cache import cache

from contrat import datacache
from contrat.datacache import data_cached, data_key
from contrat.dataversion import data_version_bump


def counting(value):
    calls = []

    def build():
        calls.append(1)
        return value

    return build, calls


def test_figures_are_computed_once_per_version_and_audience():
    build, calls = counting({"nombre": 3})
    assert data_cached("bilan", build) == {"nombre": 3}
    assert data_cached("bilan", build) == {"nombre": 3}
    assert len(calls) == 1
    data_cached("bilan", build, audience="tous")
    data_cached("bilan", build, params=[("q", "jardins")])
    assert len(calls) == 3
    data_version_bump()
    data_cached("bilan", build)
    assert len(calls) == 4


def test_an_audience_cannot_break_the_key():
    with pytest.raises(ValueError):
        data_key("bilan", audience="public:tous")


def test_a_visitor_waits_for_the_figures_another_is_computing(monkeypatch):
    monkeypatch.setattr(datacache, "WAIT", 5)
    key = data_key("financements")
    cache.add(f"{key}:calcul", 1)  # another worker computes them
    threading.Timer(0.2, lambda: cache.set(key, "sommes de l'autre")).start()
    build, calls = counting("sommes recalculées")
    assert data_cached("financements", build, single=True) == "sommes de l'autre"
    assert calls == []


def test_a_computation_that_never_ends_does_not_block_the_others(monkeypatch):
    monkeypatch.setattr(datacache, "WAIT", 0.2)
    cache.add(f"{data_key('financements')}:calcul", 1)
    build, calls = counting("sommes")
    assert data_cached("financements", build, single=True) == "sommes"
    assert calls == [1]

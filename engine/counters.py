"""Counts kept in the process that saw them: refused signatures and skipped webhook items.

They are prometheus-client counters. Behind gunicorn (several processes) set
PROMETHEUS_MULTIPROC_DIR to an empty folder shared by the processes before they start: each
process then writes its counts there and `/metrics` sums them, whichever process answers.
"""
import os

from prometheus_client import CollectorRegistry, Counter, multiprocess

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

_registry = CollectorRegistry()
SIGNATURE_FAILURES = Counter("goodwill_signature_failures",
                             "Deliveries refused for their signature, token or credentials",
                             ["source"], registry=_registry)
ITEMS_SKIPPED = Counter("goodwill_webhook_items_skipped",
                        "Delivery items acknowledged but not stored: unknown type or invalid",
                        ["source", "event_type", "reason"], registry=_registry)


def collector():
    """Return what reads the counts: every process's files, or this process's counters."""
    folder = os.environ.get(MULTIPROC_DIR)
    if not folder:
        return _registry
    summed = CollectorRegistry()
    multiprocess.MultiProcessCollector(summed, path=folder)
    return summed


def totals(counter: Counter) -> dict[tuple[str, ...], float]:
    """Return a counter's totals by label values, as this process counted them."""
    return {tuple(sample.labels.values()): sample.value
            for metric in counter.collect() for sample in metric.samples
            if sample.name.endswith("_total")}

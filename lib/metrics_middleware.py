"""django-prometheus' request metrics, labelled by route name (lib/metrics.py)."""

from django_prometheus.middleware import PrometheusAfterMiddleware as _AfterMiddleware

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class PrometheusAfterMiddleware(_AfterMiddleware):
    """django-prometheus' middleware (its `view` label is the URL pattern's name), with any
    other method counted as `other`: a label must not take whatever a client sends."""

    def label_metric(self, metric, request, response=None, **labels):
        if "method" in labels and labels["method"] not in METHODS:
            labels["method"] = "other"
        return super().label_metric(metric, request, response, **labels)

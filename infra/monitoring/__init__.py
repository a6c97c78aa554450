"""The lab watched: Prometheus and Grafana from their charts (component), what Prometheus scrapes
(scrape), the alert rules with their promtool unit tests (alerts.yaml, alerts_test.yaml) and the
dashboards as code (dashboards). The same scrape jobs, rules and dashboards run against a real
Prometheus in tests/hubcheck."""

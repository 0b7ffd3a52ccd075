"""Inbound e-mail through django-anymail's inbound webhooks (connected in InboxConfig.ready)."""

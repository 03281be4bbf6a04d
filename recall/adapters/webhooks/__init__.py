"""Webhook deliveries over HTTP (httpx); the queue itself is `recall.adapters.db.webhook_store`."""

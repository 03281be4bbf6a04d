"""Webhooks: subscriptions, fan-out of alerts into the delivery schedule, and its dispatcher.

The schedule is a SQL queue (one row per subscription and event), not retry topics; see
docs/webhooks.md for why. `fanout` fills it from the `alerts` topic, `dispatch` drains it with
signed POSTs, `subscriptions` is what the API does with it; `ports` is what they need from
storage and HTTP.
"""

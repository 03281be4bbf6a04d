"""Station health: silences and poor feeds judged on a timer, announced through the outbox."""

"""Read model (issue 10): risk scores, signals and alerts kept in SQL for people to query."""

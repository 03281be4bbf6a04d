"""SQL system of record: SQLAlchemy models, engine set-up, migrations and repositories."""

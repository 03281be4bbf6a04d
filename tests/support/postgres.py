"""The test session's PostgreSQL: the same throw-away cluster `recall bench api` uses."""

from recall.tools.local_postgres import PostgresCluster, find_bin_dir, new_cluster

__all__ = ["PostgresCluster", "find_bin_dir", "new_cluster"]

"""The public's view: published recall notices (召回公告) and nothing else."""

"""Accounts of the regulator API: who may call it, with which role and scope, and what they did.

ports      AccountStorage → AccountsUnit (accounts, audit log, registry lookup)
tokens     the bearer token format `rt1_<token_id>_<secret>`: issue, parse, hash, compare
scopes     which scope fields each role takes, checked against the registry
commands   add (the token shown once), list, disable, rotate; authenticate; audit
errors     AccountError and its kinds; every message says what to do next
"""

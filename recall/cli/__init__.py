"""The `recall` command line: thin — parse, call a use case, print for people."""

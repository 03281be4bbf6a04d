"""Agents: thin adapters — decode, hand to the service layer, emit."""

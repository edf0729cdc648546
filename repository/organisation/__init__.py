"""Organisations: their team (members, curators, managers) and the materials they contribute."""

"""Harvesting: the OAI-PMH 2.0 data provider and the metadata exports (LRMI JSON-LD, oai_dc)."""

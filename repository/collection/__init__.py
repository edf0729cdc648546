"""Bulk import of an organisation's existing collection (mapping, dry run, resumable run, report)."""

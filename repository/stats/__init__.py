"""Usage statistics without personal data: recording, daily aggregates, reports."""

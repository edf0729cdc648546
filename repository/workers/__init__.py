"""Which live processes serve which job queues (worker presence)."""

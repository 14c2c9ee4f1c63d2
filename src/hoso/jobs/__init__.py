"""The worker runtime: claims jobs from the queue and runs their handlers."""

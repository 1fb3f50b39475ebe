"""Scheduled jobs (APScheduler). Each job opens an app context and calls one service."""

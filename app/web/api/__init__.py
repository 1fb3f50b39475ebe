"""REST APIs (FAB ModelRestApi), JWT only, scoped, with domain errors mapped to JSON."""

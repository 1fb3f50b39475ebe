"""Use cases, one transaction each. They import domain and ports, never Flask."""

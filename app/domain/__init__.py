"""Pure business rules: value objects, policies and errors. Standard library only."""

"""REST API foundation shared by every domain: auth, errors, pagination, base classes."""

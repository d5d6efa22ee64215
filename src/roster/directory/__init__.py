"""The domain: business rules, one transaction per operation, an audit row per write."""

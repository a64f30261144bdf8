"""The seat allocator service: products and their seats per tenant, seats per user, subscription sets."""

"""scimflow services, one package each, each run as its own process."""

"""Code shared by scimflow's services: messaging, settings, logging, CLI and dev tooling."""

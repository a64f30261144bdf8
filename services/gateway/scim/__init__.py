"""Pure SCIM protocol logic: no aiohttp, no aiokafka (a test walks these modules to make sure)."""

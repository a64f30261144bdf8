"""The SCIM gateway: the HTTP edge. Validates tokens, speaks SCIM, asks services over Kafka."""

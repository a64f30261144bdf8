
from shared.settings import CommonSettings, DatabaseUrl, StoreLocation


class SeatAllocatorSettings(CommonSettings):
    """``SCIMFLOW_EVENTS_ENABLED`` (the user store's setting too): whether the allocator publishes its seat
    and subscription set events on ``scimflow.events`` (README "Events"); off, it writes none."""

    events_enabled: bool = True
    #: The seat gauges on /metrics by tenant too (services/seat_allocator/seat_gauges.py); off: per product.
    metrics_per_tenant: bool = False
    #: ``SCIMFLOW_SEAT_ALLOCATOR_DATABASE_URL``: this service's own database, over ``SCIMFLOW_DATABASE_URL``.
    seat_allocator_database_url: DatabaseUrl = None

    @property
    def store(self) -> StoreLocation:
        return self.store_of("seat_allocator", self.seat_allocator_database_url, "seats.sqlite3")
